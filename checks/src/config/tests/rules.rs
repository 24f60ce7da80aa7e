//! Every refusal, with its exact `FILE:LINE: message`.

use super::*;

const V: &str = "virtual=10.0.0.1:80\n\treal=10.0.1.1:80 gate\n";

#[test]
fn unknown_keyword() {
    assert_eq!(
        error("checktimeout=3\nbogus=1\n"),
        "/etc/ha.d/ldirectord.cf:2: unknown keyword 'bogus'"
    );
    assert_eq!(
        error(&format!("{V}\tfrobnicate=yes\n")),
        "/etc/ha.d/ldirectord.cf:3: unknown keyword 'frobnicate'"
    );
    // Keywords are case-sensitive, as in ldirectord.
    assert_eq!(
        error("CheckTimeout=3\n"),
        "/etc/ha.d/ldirectord.cf:1: unknown keyword 'CheckTimeout'"
    );
}

#[test]
fn known_but_not_supported_yet() {
    for (line, keyword) in [
        ("fork=yes", "fork"),
        ("supervised=yes", "supervised"),
        ("execute=other.cf", "execute"),
        ("emailalert=\"root@example.com\"", "emailalert"),
        ("emailalertfreq=3600", "emailalertfreq"),
        ("emailalertstatus=all", "emailalertstatus"),
        ("emailalertfrom=root@example.com", "emailalertfrom"),
        ("smtp=mail.example.com", "smtp"),
    ] {
        assert_eq!(
            error(&format!("{line}\n")),
            format!("/etc/ha.d/ldirectord.cf:1: keyword '{keyword}' is not supported yet")
        );
    }
    for line in [
        "monitorfile=/tmp/m",
        "load=\"x\"",
        "emailalert=\"a@b\"",
        "smtp=x",
    ] {
        let keyword = line.split('=').next().unwrap_or_default();
        assert_eq!(
            error(&format!("{V}\t{line}\n")),
            format!("/etc/ha.d/ldirectord.cf:3: keyword '{keyword}' is not supported yet")
        );
    }
    // A bare `supervised`, as ldirectord allows it, is named too.
    assert_eq!(
        error("supervised\n"),
        "/etc/ha.d/ldirectord.cf:1: keyword 'supervised' is not supported yet"
    );
}

#[test]
fn replaced_keyword() {
    assert_eq!(
        error("timeout=5\n"),
        "/etc/ha.d/ldirectord.cf:1: keyword 'timeout' is no longer supported by ldirectord: \
         use checktimeout and negotiatetimeout"
    );
}

#[test]
fn keywords_in_the_wrong_place() {
    assert_eq!(
        error("real=10.0.1.1:80 gate\n"),
        "/etc/ha.d/ldirectord.cf:1: 'real' must be inside a virtual service (indented under a virtual= line)"
    );
    assert_eq!(
        error(&format!("{V}\tautoreload=yes\n")),
        "/etc/ha.d/ldirectord.cf:3: 'autoreload' is a global setting and cannot be used inside a virtual service"
    );
    assert_eq!(
        error("\tchecktimeout=3\n"),
        "/etc/ha.d/ldirectord.cf:1: 'checktimeout' is indented but no virtual= line comes before it"
    );
    // A global line closes the block: what follows is global again.
    assert_eq!(
        error(&format!("{V}checktimeout=3\nscheduler=rr\n")),
        "/etc/ha.d/ldirectord.cf:4: 'scheduler' must be inside a virtual service (indented under a virtual= line)"
    );
    assert_eq!(
        errors(&format!("{V}\tvirtual=10.0.0.2:80\n\treal=10.0.1.1:80 gate\n")),
        ["/etc/ha.d/ldirectord.cf:3: 'virtual' starts a virtual service and must not be indented"]
    );
}

#[test]
fn syntax_errors() {
    assert_eq!(
        error("checktimeout 3\n"),
        "/etc/ha.d/ldirectord.cf:1: expected '=' after 'checktimeout'"
    );
    assert_eq!(
        error("=3\n"),
        "/etc/ha.d/ldirectord.cf:1: expected KEYWORD=VALUE, found '=3'"
    );
    assert_eq!(
        error(&format!("{V}\trequest=\"index.html\n")),
        "/etc/ha.d/ldirectord.cf:3: missing closing quote"
    );
    assert_eq!(
        error("virtual\n"),
        "/etc/ha.d/ldirectord.cf:1: expected '=' after 'virtual'"
    );
}

#[test]
fn bad_global_values() {
    let cases = [
        ("checktimeout=0", "expected a whole number of seconds greater than 0, found '0'"),
        ("negotiatetimeout=abc", "expected a whole number of seconds greater than 0, found 'abc'"),
        ("connecttimeout=-1", "expected a whole number of seconds greater than 0, found '-1'"),
        ("checkinterval=1.5", "expected a whole number of seconds greater than 0, found '1.5'"),
        ("checkcount=0", "expected a whole number greater than 0, found '0'"),
        ("failurecount=x", "expected a whole number greater than 0, found 'x'"),
        ("autoreload=true", "expected 'yes' or 'no', found 'true'"),
        ("quiescent=1", "expected 'yes' or 'no', found '1'"),
        ("readdquiescent=", "expected 'yes' or 'no', found ''"),
        ("cleanstop=maybe", "expected 'yes' or 'no', found 'maybe'"),
        ("logfile=\"ldirectord.log\"", "expected an absolute file name or a syslog facility (daemon, local0...), found 'ldirectord.log'"),
        ("callback=\"\"", "expected a value, found nothing"),
        ("fallbackcommand=", "expected a value, found nothing"),
        ("maintenancedir=", "expected a value, found nothing"),
        ("fallback=127.0.0.1:80 nat", "expected forwarding method gate, masq or ipip, found 'nat'"),
        ("fallback=localhost:80", "host names are not supported yet: write the IP address of 'localhost'"),
        ("fallback6=127.0.0.1:80", "expected an IPv6 address in brackets such as [2001:db8::1], found '127.0.0.1'"),
        ("fallback=127.0.0.1:80 gate extra", "unexpected 'extra' after the fallback server"),
        ("fallback=127.0.0.1:nosuchport", "expected a port number (0 to 65535) or service name, found 'nosuchport'"),
    ];
    for (line, message) in cases {
        assert_eq!(
            error(&format!("{line}\n")),
            format!("/etc/ha.d/ldirectord.cf:1: {message}"),
            "{line}"
        );
    }
}

#[test]
fn bad_virtual_lines() {
    let cases = [
        ("virtual=10.0.0.1", "expected ADDRESS:PORT or a firewall mark, found '10.0.0.1'"),
        ("virtual=0", "expected a firewall mark from 1 to 4294967295, found '0'"),
        ("virtual=www.example.com:80", "host names are not supported yet: write the IP address of 'www.example.com'"),
        ("virtual=[2001:db8::1]:80", "expected an IPv4 address, found '[2001:db8::1]' (IPv6 goes in virtual6, real6 and fallback6)"),
        ("virtual6=10.0.0.1:80", "expected an IPv6 address in brackets such as [2001:db8::1], found '10.0.0.1'"),
        ("virtual6=2001:db8::1", "write the IPv6 address '2001:db8::1' in brackets: [2001:db8::1]"),
        ("virtual=10.0.0.1:80 tcp", "unexpected 'tcp' after the virtual service"),
        ("virtual=10.0.0.1:99999", "expected a port number (0 to 65535) or service name, found '99999'"),
        ("virtual=10.0.0.1:0", "a virtual service on port 0 must be persistent (set persistent=)"),
    ];
    for (line, message) in cases {
        assert_eq!(
            error(&format!("{line}\n\tscheduler=rr\n")),
            format!("/etc/ha.d/ldirectord.cf:1: {message}"),
            "{line}"
        );
    }
    // Port 0 with persistence is what ipvsadm accepts.
    let parsed = config("virtual=10.0.0.1:0\n\tpersistent=60\n\treal=10.0.1.1 gate\n");
    assert_eq!(parsed.virtual_services[0].port(), 0);
}

#[test]
fn bad_values_in_a_virtual_service() {
    let cases = [
        ("real=10.0.1.2:80 route", "expected forwarding method gate, masq or ipip, found 'route'"),
        ("real6=[::1]:80 gate", "'real6' cannot be used in a virtual service: use 'real'"),
        ("fallback6=[::1]:80", "'fallback6' cannot be used in a virtual service: use 'fallback'"),
        ("request=\"\"", "expected a value, found nothing"),
        ("receive=", "expected a value, found nothing"),
        ("checktype=sometimes", "expected checktype connect, negotiate, ping, external, external-perl, on, off or a positive number, found 'sometimes'"),
        ("service=gopher", "expected service dns, ftp, http, https, http_proxy, imap, imaps, ldap, ldaps, mysql, nntp, none, oracle, pgsql, pop, pops, radius, simpletcp, sip, smtp, submission, found 'gopher'"),
        ("checkport=0", "expected a port number from 1 to 65535, found '0'"),
        ("checkport=65536", "expected a port number from 1 to 65535, found '65536'"),
        ("httpmethod=POST", "expected httpmethod GET or HEAD, found 'POST'"),
        ("scheduler=Round-Robin", "expected scheduler rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh or twos, found 'Round-Robin'"),
        ("scheduler=nosuchsched", "expected scheduler rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh or twos, found 'nosuchsched'"),
        ("checktype=0", "expected checktype connect, negotiate, ping, external, external-perl, on, off or a positive number, found '0'"),
        ("schedflags=sh-bogus", "unknown scheduler flag 'sh-bogus': expected flag-1, flag-2, flag-3, sh-fallback, sh-port, mh-fallback or mh-port"),
        ("persistent=0", "expected a persistence timeout from 1 to 2678400 seconds, found '0'"),
        ("netmask=24", "expected a dotted-quad netmask such as 255.255.255.0, found '24'"),
        ("protocol=icmp", "expected protocol tcp, udp, sctp or fwm, found 'icmp'"),
        ("protocol=fwm", "protocol must be tcp, udp or sctp for a virtual service given by address and port, found 'fwm'"),
        ("ops=on", "expected 'yes' or 'no', found 'on'"),
        ("ops=yes", "ops (one-packet scheduling) is only for UDP virtual services"),
        ("schedflags=sh-port", "these scheduler flags need scheduler=sh, not 'wrr'"),
        ("checktimeout=never", "expected a whole number of seconds greater than 0, found 'never'"),
        ("login=", "expected a value, found nothing"),
        ("checkcommand=\"\"", "expected a value, found nothing"),
    ];
    for (line, message) in cases {
        assert_eq!(
            error(&format!("{V}\t{line}\n")),
            format!("/etc/ha.d/ldirectord.cf:3: {message}"),
            "{line}"
        );
    }
    assert_eq!(
        error("virtual=5\n\tprotocol=tcp\n"),
        "/etc/ha.d/ldirectord.cf:2: protocol must be fwm for a firewall-mark virtual service, found 'tcp'"
    );
    assert_eq!(
        error("virtual6=[2001:db8::1]:80\n\treal=10.0.1.1:80 gate\n"),
        "/etc/ha.d/ldirectord.cf:2: 'real' cannot be used in a virtual6 service: use 'real6'"
    );
    assert_eq!(
        error("virtual6=[2001:db8::1]:80\n\tnetmask=255.255.255.0\n"),
        "/etc/ha.d/ldirectord.cf:2: expected a prefix length from 1 to 128, found '255.255.255.0'"
    );
}

#[test]
fn unsupported_checks_are_refused_by_name() {
    // The check engine decides; each refusal is placed on the line at fault.
    let check = |text: &str| {
        let service = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("service="))
            .and_then(Service::from_name)
            .unwrap_or(Service::Oracle);
        let mut spec = CheckSpec::new(service);
        spec.check_type = CheckType::Negotiate;
        supported_check(&spec, &tcp_service("10.0.0.1", 80).key)
            .expect_err("refused")
            .message
    };
    let text = format!("{V}\tchecktype=negotiate\n\tservice=oracle\n");
    assert_eq!(
        error(&text),
        format!("/etc/ha.d/ldirectord.cf:4: {}", check(&text))
    );
    assert!(check(&text).contains("service=oracle"));
    // Without service=, the default for the port is at fault, named at the
    // virtual line.
    let text = "virtual=10.0.0.1:1521\n\treal=10.0.1.1 gate\n";
    assert_eq!(
        error(text),
        format!("/etc/ha.d/ldirectord.cf:1: {}", check(text))
    );
    // A connect check does not speak the service.
    config("virtual=10.0.0.1:1521\n\treal=10.0.1.1 gate\n\tchecktype=connect\n");
}

#[test]
fn receive_patterns_must_compile() {
    let message = supported_receive("(unclosed").expect_err("bad pattern");
    assert_eq!(
        error(&format!("{V}\treceive=\"(unclosed\"\n")),
        format!("/etc/ha.d/ldirectord.cf:3: {message}")
    );
    assert_eq!(
        error(&format!(
            "{V}\treal=10.0.1.2:80 gate 1 \"/\", \"(unclosed\"\n"
        )),
        format!("/etc/ha.d/ldirectord.cf:3: {message}")
    );
    config(&format!("{V}\treceive=\"Test (HA)? Page\"\n"));
}

#[test]
fn duplicates() {
    assert_eq!(
        error(&format!("{V}{V}")),
        "/etc/ha.d/ldirectord.cf:3: virtual service tcp 10.0.0.1:80 is already defined on line 1"
    );
    // gate keeps the virtual port, so these are the same IPVS destination.
    assert_eq!(
        error(&format!("{V}\treal=10.0.1.1:8080 gate\n")),
        "/etc/ha.d/ldirectord.cf:3: real server 10.0.1.1:80 is already listed on line 2"
    );
    // udp and tcp on the same address and port are two services.
    config(&format!(
        "{V}\tprotocol=tcp\nvirtual=10.0.0.1:80\n\tprotocol=udp\n"
    ));
}

#[test]
fn every_error_is_reported_in_file_order() {
    let text = "checktimeout=0\nbogus=1\nvirtual=10.0.0.1:80\n\treal=10.0.1.1:80 nat\n\
                \tscheduler=X\n\tfork=yes\nautoreload=maybe\n";
    assert_eq!(
        errors(text),
        [
            "/etc/ha.d/ldirectord.cf:1: expected a whole number of seconds greater than 0, found '0'",
            "/etc/ha.d/ldirectord.cf:2: unknown keyword 'bogus'",
            "/etc/ha.d/ldirectord.cf:4: expected forwarding method gate, masq or ipip, found 'nat'",
            "/etc/ha.d/ldirectord.cf:5: expected scheduler rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh or twos, found 'X'",
            "/etc/ha.d/ldirectord.cf:6: 'fork' is a global setting and cannot be used inside a virtual service",
            "/etc/ha.d/ldirectord.cf:7: expected 'yes' or 'no', found 'maybe'",
        ]
    );
}

#[test]
fn a_missing_file_is_named() {
    let error = load("/nonexistent/ldirectord.cf").expect_err("no such file");
    assert!(error
        .to_string()
        .starts_with("/nonexistent/ldirectord.cf: cannot read:"));
}

#[test]
fn layout_that_ldirectord_users_write() {
    // Spaces around '=', spaces for indentation, comments after values,
    // blank lines and comment lines inside a block, CRLF line ends, a
    // syslog facility, a port name, the last of two values.
    let text = "logfile = \"local0\"\r\nquiescent = no # note\r\nquiescent=yes\r\n\
                virtual = 10.0.0.1:http\r\n    real = 10.0.1.1:http gate\r\n\r\n\
                # a comment\r\n        service = http // note\r\n\tcomment = Test site\r\n";
    let parsed = config(text);
    assert_eq!(parsed.global.logfile, LogTarget::Syslog("local0".into()));
    assert_eq!(parsed.global.defaults.quiescent, Some(true));
    let service = &parsed.virtual_services[0];
    assert_eq!(service.port(), 80);
    assert_eq!(service.reals, [real("10.0.1.1", 80, 1)]);
    assert_eq!(service.comment.as_deref(), Some("Test site"));
}

#[test]
fn ldirectord_sample_file_parses() {
    // The active part of ldirectord 4.12's own sample ldirectord.cf.
    let text = "checktimeout=3\ncheckinterval=1\n#fallback=127.0.0.1:80\nautoreload=yes\n\
                quiescent=no\n\nvirtual=192.168.6.240:80\n\tservicename=Web Site\n\
                \tcomment=Test load balanced web site\n\treal=192.168.6.2:80 gate\n\
                \treal=192.168.6.3:80 gate\n\treal=192.168.6.6:80 gate\n\
                \tfallback=127.0.0.1:80 gate\n\tservice=http\n\tscheduler=rr\n\
                \t#persistent=600\n\t#netmask=255.255.255.255\n\tprotocol=tcp\n\
                \tchecktype=negotiate\n\tcheckport=80\n\trequest=\"index.html\"\n\
                \treceive=\"Test Page\"\n\tvirtualhost=www.x.y.z\n";
    let parsed = config(text);
    let service = &parsed.virtual_services[0];
    assert_eq!(service.service_name.as_deref(), Some("Web Site"));
    assert_eq!(service.reals.len(), 3);
    assert_eq!(service.check.virtual_host.as_deref(), Some("www.x.y.z"));
}
