//! `/metrics` of a running director, when `--metrics-listen` asks for it.
//!
//! The kernel's table under the names, labels and help of node_exporter's
//! IPVS collector, so dashboards and alerts written for it work unchanged:
//! `node_ipvs_connections_total`, `node_ipvs_incoming_packets_total`,
//! `node_ipvs_outgoing_packets_total`, `node_ipvs_incoming_bytes_total`,
//! `node_ipvs_outgoing_bytes_total` (the kernel's totals, from
//! `/proc/net/ip_vs_stats`) and `node_ipvs_backend_connections_active`,
//! `node_ipvs_backend_connections_inactive`, `node_ipvs_backend_weight`
//! per real server of every service in the table (labels
//! `local_address`, `local_port`, `remote_address`, `remote_port`,
//! `proto`, `local_mark`: a firewall-mark service has an empty address,
//! port 0, proto `FWM` and its mark in 8 hexadecimal digits, as
//! `/proc/net/ip_vs` writes it). Beside them, the director's own checks as
//! `lvs_director_*`, labelled `virtual_service` and `real_server` as
//! `lvs-director status` names them.
//!
//! A scrape goes through the director's loop as `status` does: the loop
//! copies the checks' records and hands the kernel reads to the IPVS
//! worker thread; the rendering runs in a task of its own.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use ha_daemon::metrics::{Exposition, Family};
use ha_ipvs::ipvsadm::Kernel;
use ha_ipvs::proc_stats::{GlobalStats, ProcStatsError};
use ha_ipvs::{DestinationEntry, Protocol, ServiceEntry, ServiceKey};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

use crate::control::{ControlRequest, StatusReport};

/// How long a scrape waits for the director's answer.
const SCRAPE_TIMEOUT: Duration = Duration::from_secs(10);

/// The whole kernel table and its totals, read for one scrape.
#[derive(Debug, Clone, Default)]
pub struct KernelView {
    /// Every service with its real servers, in the kernel's order.
    pub services: Vec<(ServiceEntry, Vec<DestinationEntry>)>,
    /// The kernel's totals, or why they could not be read.
    pub totals: Option<GlobalStats>,
}

/// Reads every service and real server through `kernel`, and the totals
/// through `totals` (a missing file leaves the totals out, as
/// node_exporter does).
pub fn read_kernel<K: Kernel>(
    kernel: &mut K,
    totals: impl FnOnce() -> Result<GlobalStats, ProcStatsError>,
) -> Result<KernelView, String> {
    let mut services = Vec::new();
    for service in kernel.services().map_err(|e| e.to_string())? {
        let destinations = kernel
            .destinations(&service.service.key)
            .map_err(|e| e.to_string())?;
        services.push((service, destinations));
    }
    let totals = match totals() {
        Ok(totals) => Some(totals),
        Err(error) => {
            log::debug!("metrics: {error}");
            None
        }
    };
    Ok(KernelView { services, totals })
}

/// Binds the metrics listener.
pub async fn listen(addr: std::net::SocketAddr) -> Result<TcpListener, String> {
    ha_daemon::http::bind(addr).await.map_err(|e| e.to_string())
}

/// Answers scrapes until aborted, asking the director's loop through
/// `requests`.
pub async fn serve(listener: TcpListener, requests: mpsc::Sender<ControlRequest>) {
    ha_daemon::http::serve(listener, move || {
        let requests = requests.clone();
        async move {
            let (reply, answer) = oneshot::channel();
            requests
                .send(ControlRequest::Metrics(reply))
                .await
                .map_err(|_| "the director is stopping".to_string())?;
            tokio::time::timeout(SCRAPE_TIMEOUT, answer)
                .await
                .map_err(|_| "the director did not answer in 10 s".to_string())?
                .map_err(|_| "the director is stopping".to_string())
        }
    })
    .await;
}

/// node_exporter's backend labels of one real server of one service.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Backend {
    local_address: String,
    local_port: String,
    remote_address: String,
    remote_port: String,
    proto: &'static str,
    local_mark: String,
}

impl Backend {
    fn new(service: &ServiceKey, destination: &DestinationEntry) -> Self {
        let (local_address, local_port, proto, local_mark) = match service {
            ServiceKey::Address {
                protocol,
                addr,
                port,
            } => (
                address(addr),
                port.to_string(),
                match protocol {
                    Protocol::Tcp => "TCP",
                    Protocol::Udp => "UDP",
                    Protocol::Sctp => "SCTP",
                },
                String::new(),
            ),
            ServiceKey::FirewallMark { mark, .. } => {
                (String::new(), "0".into(), "FWM", format!("{mark:08X}"))
            }
        };
        Backend {
            local_address,
            local_port,
            remote_address: address(&destination.destination.addr),
            remote_port: destination.destination.port.to_string(),
            proto,
            local_mark,
        }
    }

    fn labels(&self) -> [(&str, &str); 6] {
        [
            ("local_address", &self.local_address),
            ("local_port", &self.local_port),
            ("remote_address", &self.remote_address),
            ("remote_port", &self.remote_port),
            ("proto", self.proto),
            ("local_mark", &self.local_mark),
        ]
    }
}

fn address(addr: &IpAddr) -> String {
    addr.to_string()
}

/// The metrics of the kernel's table (or why it could not be read) and of
/// the director's checks.
pub fn exposition(report: &StatusReport, kernel: &Result<KernelView, String>) -> Exposition {
    let mut out = Exposition::new();
    let mut readable = Family::gauge(
        "lvs_director_kernel_table_readable",
        "1 when the kernel's IPVS table could be read for this scrape, else 0.",
    );
    readable.sample(&[], if kernel.is_ok() { 1.0 } else { 0.0 });
    out.add(readable);
    if let Ok(kernel) = kernel {
        kernel_families(&mut out, kernel);
    }
    check_families(&mut out, report);
    out
}

fn kernel_families(out: &mut Exposition, kernel: &KernelView) {
    if let Some(t) = &kernel.totals {
        for (name, help, value) in [
            (
                "node_ipvs_connections_total",
                "The total number of connections made.",
                t.conns,
            ),
            (
                "node_ipvs_incoming_packets_total",
                "The total number of incoming packets.",
                t.inpkts,
            ),
            (
                "node_ipvs_outgoing_packets_total",
                "The total number of outgoing packets.",
                t.outpkts,
            ),
            (
                "node_ipvs_incoming_bytes_total",
                "The total amount of incoming data.",
                t.inbytes,
            ),
            (
                "node_ipvs_outgoing_bytes_total",
                "The total amount of outgoing data.",
                t.outbytes,
            ),
        ] {
            let mut f = Family::counter(name, help);
            f.sample(&[], value as f64);
            out.add(f);
        }
    }
    // Backends with the same labels add up, as node_exporter sums them.
    let mut sums: BTreeMap<Backend, (u64, u64, u64)> = BTreeMap::new();
    for (service, destinations) in &kernel.services {
        for d in destinations {
            let sum = sums
                .entry(Backend::new(&service.service.key, d))
                .or_default();
            sum.0 += u64::from(d.active_conns);
            sum.1 += u64::from(d.inactive_conns);
            sum.2 += u64::from(d.destination.weight);
        }
    }
    let mut active = Family::gauge(
        "node_ipvs_backend_connections_active",
        "The current active connections by local and remote address.",
    );
    let mut inactive = Family::gauge(
        "node_ipvs_backend_connections_inactive",
        "The current inactive connections by local and remote address.",
    );
    let mut weight = Family::gauge(
        "node_ipvs_backend_weight",
        "The current backend weight by local and remote address.",
    );
    for (backend, (a, i, w)) in &sums {
        let labels = backend.labels();
        active.sample(&labels, *a as f64);
        inactive.sample(&labels, *i as f64);
        weight.sample(&labels, *w as f64);
    }
    out.add(active);
    out.add(inactive);
    out.add(weight);
}

fn check_families(out: &mut Exposition, report: &StatusReport) {
    let mut up = Family::gauge(
        "lvs_director_real_server_up",
        "1 when the real server's checks find it up, 0 when down or not checked yet.",
    );
    let mut checks = Family::counter(
        "lvs_director_checks_total",
        "Checks of the real server run since the director started.",
    );
    let mut failed = Family::counter(
        "lvs_director_check_failures_total",
        "Checks of the real server that failed since the director started.",
    );
    let mut consecutive = Family::gauge(
        "lvs_director_check_consecutive_failures",
        "Failed checks in a row (0 after a success).",
    );
    let mut latency = Family::gauge(
        "lvs_director_check_latency_seconds",
        "How long the real server's latest check took.",
    );
    let mut reals_up = Family::gauge(
        "lvs_director_virtual_service_reals_up",
        "Real servers of the virtual service in service (weight above 0).",
    );
    let mut fallback = Family::gauge(
        "lvs_director_virtual_service_fallback_active",
        "1 when the virtual service's fallback server is in use, else 0.",
    );
    for v in &report.virtual_services {
        let service = [("virtual_service", v.service.as_str())];
        reals_up.sample(&service, v.reals_up as f64);
        fallback.sample(&service, if v.fallback_active { 1.0 } else { 0.0 });
        for r in &v.reals {
            let labels = [
                ("virtual_service", v.service.as_str()),
                ("real_server", r.server.as_str()),
            ];
            up.sample(&labels, if r.health == "up" { 1.0 } else { 0.0 });
            checks.sample(&labels, r.checks as f64);
            failed.sample(&labels, r.failed_checks as f64);
            consecutive.sample(&labels, f64::from(r.failures));
            if let Some(ms) = r.last_latency_ms {
                latency.sample(&labels, ms / 1000.0);
            }
        }
    }
    for f in [up, checks, failed, consecutive, latency, reals_up, fallback] {
        out.add(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::{RealReport, VirtualReport};
    use ha_ipvs::{
        AddressFamily, DaemonConfig, DaemonState, Destination, Info, IpvsError, KernelError,
        Operation, Service, Stats, Timeouts, Version,
    };

    /// A kernel table held in memory: reads answer it, writes are refused.
    struct TableKernel(Vec<(ServiceEntry, Vec<DestinationEntry>)>);

    fn refused(operation: Operation) -> IpvsError {
        IpvsError::Kernel(KernelError {
            operation,
            errno: 1,
        })
    }

    impl Kernel for TableKernel {
        fn info(&mut self) -> Result<Info, IpvsError> {
            Ok(Info {
                version: Version {
                    major: 1,
                    minor: 2,
                    patch: 1,
                },
                conn_tab_size: 4096,
            })
        }
        fn services(&mut self) -> Result<Vec<ServiceEntry>, IpvsError> {
            Ok(self.0.iter().map(|(s, _)| s.clone()).collect())
        }
        fn service(&mut self, key: &ServiceKey) -> Result<ServiceEntry, IpvsError> {
            self.0
                .iter()
                .find(|(s, _)| s.service.key == *key)
                .map(|(s, _)| s.clone())
                .ok_or_else(|| refused(Operation::GetService))
        }
        fn destinations(&mut self, key: &ServiceKey) -> Result<Vec<DestinationEntry>, IpvsError> {
            self.0
                .iter()
                .find(|(s, _)| s.service.key == *key)
                .map(|(_, d)| d.clone())
                .ok_or_else(|| refused(Operation::ListDestinations))
        }
        fn add_service(&mut self, _: &Service) -> Result<(), IpvsError> {
            Err(refused(Operation::AddService))
        }
        fn edit_service(&mut self, _: &Service) -> Result<(), IpvsError> {
            Err(refused(Operation::EditService))
        }
        fn delete_service(&mut self, _: &ServiceKey) -> Result<(), IpvsError> {
            Err(refused(Operation::DeleteService))
        }
        fn flush(&mut self) -> Result<(), IpvsError> {
            Err(refused(Operation::Flush))
        }
        fn zero(&mut self, _: Option<&ServiceKey>) -> Result<(), IpvsError> {
            Err(refused(Operation::Zero))
        }
        fn add_destination(&mut self, _: &ServiceKey, _: &Destination) -> Result<(), IpvsError> {
            Err(refused(Operation::AddDestination))
        }
        fn edit_destination(&mut self, _: &ServiceKey, _: &Destination) -> Result<(), IpvsError> {
            Err(refused(Operation::EditDestination))
        }
        fn delete_destination(
            &mut self,
            _: &ServiceKey,
            _: &ha_ipvs::DestinationKey,
        ) -> Result<(), IpvsError> {
            Err(refused(Operation::DeleteDestination))
        }
        fn timeouts(&mut self) -> Result<Timeouts, IpvsError> {
            Ok(Timeouts::default())
        }
        fn set_timeouts(&mut self, _: &Timeouts) -> Result<(), IpvsError> {
            Err(refused(Operation::SetTimeouts))
        }
        fn daemons(&mut self) -> Result<Vec<DaemonConfig>, IpvsError> {
            Ok(Vec::new())
        }
        fn start_daemon(&mut self, _: &DaemonConfig) -> Result<(), IpvsError> {
            Err(refused(Operation::StartDaemon))
        }
        fn stop_daemon(&mut self, _: DaemonState) -> Result<(), IpvsError> {
            Err(refused(Operation::StopDaemon))
        }
    }

    fn service(key: ServiceKey) -> ServiceEntry {
        ServiceEntry {
            service: Service::new(key, "wlc"),
            hashed: true,
            stats: Stats::default(),
        }
    }

    fn real(addr: &str, port: u16, weight: u32, active: u32, inactive: u32) -> DestinationEntry {
        let mut destination = Destination::new(addr.parse().unwrap(), port);
        destination.weight = weight;
        DestinationEntry {
            destination,
            active_conns: active,
            inactive_conns: inactive,
            persistent_conns: 0,
            stats: Stats::default(),
        }
    }

    fn table() -> TableKernel {
        TableKernel(vec![
            (
                service(ServiceKey::Address {
                    protocol: Protocol::Tcp,
                    addr: "192.168.6.240".parse().unwrap(),
                    port: 80,
                }),
                vec![
                    real("192.168.6.2", 80, 1, 3, 17),
                    real("192.168.6.3", 80, 0, 0, 4),
                ],
            ),
            (
                service(ServiceKey::FirewallMark {
                    af: AddressFamily::Inet,
                    mark: 10,
                }),
                vec![real("2001:db8::7", 443, 100, 1, 0)],
            ),
        ])
    }

    fn report() -> StatusReport {
        let real = |server: &str, health: &str, checks, failed, failures| RealReport {
            server: server.into(),
            forwarding: "gate".into(),
            weight: 1,
            health: health.into(),
            kernel_weight: Some(1),
            last_result: Some(health.into()),
            last_detail: None,
            last_latency_ms: Some(2.5),
            last_check_ms_ago: Some(100),
            failures,
            checks,
            failed_checks: failed,
        };
        StatusReport {
            config: "ldirectord.cf".into(),
            pid: 1,
            autoreload: false,
            kernel_error: None,
            virtual_services: vec![VirtualReport {
                service: "TCP 192.168.6.240:80".into(),
                scheduler: "wlc".into(),
                checktype: "negotiate".into(),
                in_kernel: true,
                reals_up: 1,
                fallback_active: false,
                fallback: None,
                reals: vec![
                    real("192.168.6.2:80", "up", 12, 1, 0),
                    real("192.168.6.3:80", "down", 12, 5, 4),
                ],
            }],
        }
    }

    fn render() -> String {
        let totals = GlobalStats {
            conns: 0x1a,
            inpkts: 688,
            outpkts: 0,
            inbytes: 115_680,
            outbytes: 0,
        };
        let kernel = read_kernel(&mut table(), || Ok(totals));
        exposition(&report(), &kernel).render().unwrap()
    }

    #[test]
    fn the_kernel_table_is_exposed_as_node_exporter_does() {
        let text = render();
        for line in [
            "# HELP node_ipvs_connections_total The total number of connections made.",
            "# TYPE node_ipvs_connections_total counter",
            "node_ipvs_connections_total 26",
            "node_ipvs_incoming_packets_total 688",
            "node_ipvs_incoming_bytes_total 115680",
            "# HELP node_ipvs_backend_connections_active The current active connections by local and remote address.",
            "# TYPE node_ipvs_backend_weight gauge",
            r#"node_ipvs_backend_connections_active{local_address="192.168.6.240",local_mark="",local_port="80",proto="TCP",remote_address="192.168.6.2",remote_port="80"} 3"#,
            r#"node_ipvs_backend_connections_inactive{local_address="192.168.6.240",local_mark="",local_port="80",proto="TCP",remote_address="192.168.6.2",remote_port="80"} 17"#,
            r#"node_ipvs_backend_weight{local_address="192.168.6.240",local_mark="",local_port="80",proto="TCP",remote_address="192.168.6.3",remote_port="80"} 0"#,
            r#"node_ipvs_backend_weight{local_address="",local_mark="0000000A",local_port="0",proto="FWM",remote_address="2001:db8::7",remote_port="443"} 100"#,
            "lvs_director_kernel_table_readable 1",
            r#"lvs_director_real_server_up{real_server="192.168.6.3:80",virtual_service="TCP 192.168.6.240:80"} 0"#,
            r#"lvs_director_check_failures_total{real_server="192.168.6.3:80",virtual_service="TCP 192.168.6.240:80"} 5"#,
            r#"lvs_director_check_consecutive_failures{real_server="192.168.6.3:80",virtual_service="TCP 192.168.6.240:80"} 4"#,
            r#"lvs_director_checks_total{real_server="192.168.6.2:80",virtual_service="TCP 192.168.6.240:80"} 12"#,
            r#"lvs_director_check_latency_seconds{real_server="192.168.6.2:80",virtual_service="TCP 192.168.6.240:80"} 0.0025"#,
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line}\n{text}");
        }
    }

    #[test]
    fn an_unreadable_table_leaves_the_kernel_metrics_out() {
        let text = exposition(&report(), &Err("no IPVS".into()))
            .render()
            .unwrap();
        assert!(
            text.contains("lvs_director_kernel_table_readable 0\n"),
            "{text}"
        );
        assert!(!text.contains("node_ipvs"), "{text}");
        assert!(text.contains("lvs_director_checks_total"), "{text}");
        let no_totals = read_kernel(&mut table(), || {
            Err(ProcStatsError::Read {
                file: "/proc/net/ip_vs_stats".into(),
                error: "No such file or directory".into(),
            })
        });
        let text = exposition(&report(), &no_totals).render().unwrap();
        assert!(!text.contains("node_ipvs_connections_total"), "{text}");
        assert!(text.contains("node_ipvs_backend_weight{"), "{text}");
    }

    #[test]
    fn promtool_accepts_the_text_when_installed() {
        let Some(promtool) = ["/usr/bin/promtool", "/usr/local/bin/promtool"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
        else {
            eprintln!("SKIPPED: promtool is not installed (Debian's prometheus package has it)");
            return;
        };
        use std::io::Write as _;
        let mut child = std::process::Command::new(promtool)
            .args(["check", "metrics"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let text = render();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}{}\n{text}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
