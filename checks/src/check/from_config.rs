//! Builds the [`CheckSpec`] of one real server from the ldirectord.cf
//! model: ldirectord's `ld_setup` resolution — the real server's own
//! request/receive pair over the virtual service's, `/` put in front of a
//! request, the check port, ftp's and sip's default logins, the timeouts
//! the virtual service runs with — and the receive pattern compiled.

use std::net::{IpAddr, SocketAddr};

use crate::config::{
    EffectiveSettings, Protocol as IpvsProtocol, RealServer, ServiceKey, VirtualService,
    DEFAULT_CHECK_COMMAND,
};

use super::kind::{CheckType, Service};
use super::receive::Receive;
use super::spec::{check_port, CheckSpec, ExternalArgs, Protocol};

/// An address as ldirectord writes it in ids and command lines: IPv6 in brackets.
fn written(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => format!("[{a}]"),
    }
}

/// The host name ldirectord puts in its default logins (`$HOSTNAME`, else
/// the kernel's node name).
fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            nix::unistd::gethostname()
                .ok()
                .map(|h| h.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "localhost".to_string())
}

/// The check of `real` in `virtual_service`, which runs with `settings`.
/// Fails (with a sentence for a load error) when `receive` does not
/// compile or a check that connects has no port to connect to.
pub fn spec_for(
    virtual_service: &VirtualService,
    real: &RealServer,
    settings: &EffectiveSettings,
) -> Result<CheckSpec, String> {
    let check = &virtual_service.check;
    let service = check.service;
    let check_type = check.check_type;
    let port = check_port(check.check_port, real.port, service);
    let needs_port = match check_type {
        CheckType::Connect | CheckType::Combined(_) => true,
        CheckType::Negotiate => service != Service::None,
        _ => false,
    };
    if needs_port && port.is_none() {
        return Err(format!(
            "real server {} has no port to check: give it one, or set checkport",
            written(real.addr)
        ));
    }
    let (request, receive) = match &real.request_receive {
        Some((request, receive)) => (Some(request.clone()), Some(receive.clone())),
        None => (check.request.clone(), check.receive.clone()),
    };
    let request = match request {
        Some(r) if r.starts_with('/') => r,
        Some(r) => format!("/{r}"),
        None => "/".to_string(),
    };
    let receive = Receive::new(receive.as_deref().unwrap_or("")).map_err(|e| e.to_string())?;
    let (protocol, virtual_server, virtual_port) = match virtual_service.key {
        ServiceKey::Address {
            protocol,
            addr,
            port,
        } => (
            if protocol == IpvsProtocol::Udp {
                Protocol::Udp
            } else {
                Protocol::Tcp
            },
            written(addr),
            port.to_string(),
        ),
        ServiceKey::FirewallMark { mark, .. } => (Protocol::Tcp, mark.to_string(), "0".to_string()),
    };
    let default_login = match service {
        Service::Ftp => "anonymous".to_string(),
        Service::Sip => format!("ldirectord@{}", hostname()),
        _ => String::new(),
    };
    let default_passwd = match service {
        Service::Ftp => format!("ldirectord@{}", hostname()),
        _ => String::new(),
    };
    Ok(CheckSpec {
        check_type,
        service,
        protocol,
        target: SocketAddr::new(real.addr, port.unwrap_or(0)),
        request,
        receive,
        virtual_host: check.virtual_host.clone(),
        http_method: check.http_method,
        login: check.login.clone().unwrap_or(default_login),
        passwd: check.passwd.clone().unwrap_or(default_passwd),
        check_timeout: settings.check_timeout,
        negotiate_timeout: settings.negotiate_timeout,
        // Without `connecttimeout` this is the check's own timeout: no change.
        connect_timeout: Some(settings.connect_timeout),
        check_count: settings.check_count,
        check_command: check
            .check_command
            .clone()
            .unwrap_or_else(|| DEFAULT_CHECK_COMMAND.to_string()),
        external_args: ExternalArgs {
            virtual_server,
            virtual_port,
            real_server: written(real.addr),
            real_port: real.port.to_string(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CheckSpec as ConfigCheck;
    use std::time::Duration;

    fn virtual_service(check: ConfigCheck, port: u16, udp: bool) -> VirtualService {
        let protocol = if udp {
            IpvsProtocol::Udp
        } else {
            IpvsProtocol::Tcp
        };
        VirtualService {
            check,
            ..VirtualService::new(ServiceKey::Address {
                protocol,
                addr: "192.0.2.10".parse().unwrap(),
                port,
            })
        }
    }

    fn real(addr: &str, port: u16, request_receive: Option<(&str, &str)>) -> RealServer {
        RealServer {
            request_receive: request_receive.map(|(a, b)| (a.to_string(), b.to_string())),
            ..RealServer::new(addr.parse().unwrap(), port)
        }
    }

    fn settings() -> EffectiveSettings {
        EffectiveSettings {
            check_timeout: Duration::from_secs(3),
            negotiate_timeout: Duration::from_secs(4),
            connect_timeout: Duration::from_secs(4),
            check_interval: Duration::from_secs(1),
            check_count: 2,
            failure_count: 3,
            quiescent: false,
            cleanstop: true,
            fallback_command: None,
            fallback: None,
        }
    }

    #[test]
    fn resolves_like_ld_setup() {
        let mut check = ConfigCheck::new(Service::Http);
        check.request = Some("lvs_testpage.html".into());
        check.receive = Some("Test HA Page".into());
        check.check_port = Some(8080);
        let v = virtual_service(check, 80, false);
        let spec = spec_for(&v, &real("10.0.0.2", 80, None), &settings()).unwrap();
        assert_eq!(spec.target, "10.0.0.2:8080".parse().unwrap());
        assert_eq!(spec.request, "/lvs_testpage.html");
        assert_eq!(spec.receive.pattern(), "Test HA Page");
        assert_eq!(
            (spec.check_timeout, spec.negotiate_timeout),
            (Duration::from_secs(3), Duration::from_secs(4))
        );
        assert_eq!(spec.check_count, 2);
        assert_eq!(spec.external_args.virtual_server, "192.0.2.10");
        assert_eq!(spec.external_args.real_port, "80");
        assert_eq!(spec.check_command, DEFAULT_CHECK_COMMAND);

        // A real server's own pair wins.
        let own = real("10.0.0.3", 0, Some(("/alive", "yes")));
        let spec = spec_for(&v, &own, &settings()).unwrap();
        assert_eq!(
            (spec.request.as_str(), spec.receive.pattern()),
            ("/alive", "yes")
        );
    }

    #[test]
    fn ftp_gets_its_default_login_and_dns_on_53_is_udp() {
        let v = virtual_service(ConfigCheck::new(Service::Ftp), 21, false);
        let spec = spec_for(&v, &real("10.0.0.2", 21, None), &settings()).unwrap();
        assert_eq!(spec.login, "anonymous");
        assert!(spec.passwd.starts_with("ldirectord@"));
        let v = virtual_service(ConfigCheck::new(Service::Dns), 53, true);
        let spec = spec_for(
            &v,
            &real("[2001:db8::5]".trim_matches(['[', ']']), 0, None),
            &settings(),
        )
        .unwrap();
        assert_eq!(spec.protocol, Protocol::Udp);
        assert_eq!(spec.target.port(), 53);
        assert_eq!(spec.external_args.real_server, "[2001:db8::5]");
    }

    #[test]
    fn refuses_bad_patterns_and_missing_ports() {
        let mut check = ConfigCheck::new(Service::Http);
        check.receive = Some("(".into());
        let v = virtual_service(check, 80, false);
        assert!(spec_for(&v, &real("10.0.0.2", 80, None), &settings()).is_err());
        let mut check = ConfigCheck::new(Service::None);
        check.check_type = CheckType::Connect;
        let v = virtual_service(check, 0, false);
        let err = spec_for(&v, &real("10.0.0.2", 0, None), &settings()).unwrap_err();
        assert!(err.contains("checkport"), "{err}");
    }
}
