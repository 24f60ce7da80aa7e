//! The two beds `ha-node` and heartbeat 3.0.6 are compared on
//! ([`DaemonPair`](crate::daemon_pair::DaemonPair) runs either on them).
//!
//! - [`resource_group_spec`]: a group of five resources, the same
//!   haresources line for both: the virtual IP (IPaddr), three instances
//!   of resource-agents' `ocf:heartbeat:Dummy` through heartbeat's OCF
//!   wrapper (`OCF::Dummy::INSTANCE`, each instance's state file in
//!   `conf/OCF/Dummy/INSTANCE` of ha.d), and Debian's `/etc/init.d/nginx`
//!   run unchanged as an LSB init script. Each node is a machine of its
//!   own (private `/run` and nginx's directories) serving a page with its
//!   letter through the address; [`GroupBed`] says from outside, without
//!   running a program, when the group is all there on a node.
//! - [`ipfail_spec`]: one IPaddr group and a ping node, a router on the
//!   LAN ([`connect_router`]), watched by heartbeat's ipfail (`respawn
//!   hacluster .../ipfail`; ha-node runs its built-in ipfail for that
//!   line).

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cluster::{ClusterSpec, Node, TwoNodeCluster, VIP};
use crate::{Host, LabError};

/// The group's address as IPaddr is given it.
pub const GROUP_VIP_CIDR: &str = "10.77.0.100/24";

/// The Dummy instances of the group, in order.
pub const DUMMY_INSTANCES: [&str; 3] = ["d1", "d2", "d3"];

/// nginx's pid file (Debian's nginx.conf), in the node's private `/run`.
pub const NGINX_PID: &str = "/run/nginx.pid";

/// Where nginx serves the node's page: the virtual IP, port 80.
pub const WEB: SocketAddr =
    SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::new(10, 77, 0, 100)), 80);

/// The ping node of [`ipfail_spec`]: a router on the LAN.
pub const ROUTER: [u8; 4] = [10, 77, 0, 254];

/// The files and packages the group's agents need: path, Debian package.
const GROUP_NEEDS: [(&str, &str); 4] = [
    ("/etc/init.d/nginx", "nginx-light"),
    ("/usr/sbin/nginx", "nginx-light"),
    ("/usr/lib/ocf/resource.d/heartbeat/Dummy", "resource-agents"),
    (
        "/usr/lib/ocf/resource.d/heartbeat/IPaddr",
        "resource-agents",
    ),
];

/// What is missing for the group's agents, as `PATH (package)`; empty
/// when everything is there.
pub fn group_missing() -> Vec<String> {
    GROUP_NEEDS
        .iter()
        .filter(|(path, _)| !Path::new(path).exists())
        .map(|(path, package)| format!("{path} ({package})"))
        .collect()
}

/// The state file of Dummy instance `instance`, in the node's `/run`.
pub fn dummy_state(instance: &str) -> PathBuf {
    PathBuf::from(format!("/run/dummy-{instance}.state"))
}

/// The directories private to each node of the group's bed: `/run` and
/// nginx's log, state and web root.
pub fn group_private_dirs() -> Vec<PathBuf> {
    ["/run", "/var/log/nginx", "/var/lib/nginx", "/var/www/html"]
        .iter()
        .map(PathBuf::from)
        .collect()
}

/// The haresources line of the group: `node-a IPaddr::ADDR OCF::Dummy::d1
/// OCF::Dummy::d2 OCF::Dummy::d3 nginx`.
pub fn group_haresources() -> String {
    let dummies: Vec<String> = DUMMY_INSTANCES
        .iter()
        .map(|i| format!("OCF::Dummy::{i}"))
        .collect();
    format!(
        "{} IPaddr::{GROUP_VIP_CIDR}/eth0 {} nginx\n",
        Node::A.name(),
        dummies.join(" ")
    )
}

/// [`ClusterSpec::fast`] (keepalive 100 ms, deadtime 500 ms, auto_failback
/// on) holding the group, each Dummy instance's state file given in its
/// instance file, each node a machine with [`group_private_dirs`].
pub fn resource_group_spec(binary: impl Into<PathBuf>) -> ClusterSpec {
    let mut spec = ClusterSpec::fast(binary);
    spec.haresources = group_haresources();
    spec.private_mounts = Some(group_private_dirs());
    spec.ha_d_files = DUMMY_INSTANCES
        .iter()
        .map(|i| {
            (
                PathBuf::from(format!("conf/OCF/Dummy/{i}")),
                format!("OCF_RESKEY_state={}\n", dummy_state(i).display()),
            )
        })
        .collect();
    spec
}

/// The group's view of a built bed: what shows it started,
/// and the clean-up of a node whose daemon was killed.
pub struct GroupBed<'a> {
    cluster: &'a TwoNodeCluster,
}

/// Writes each node's page (its letter) into its private web root.
pub fn prepare_pages(cluster: &TwoNodeCluster) -> Result<(), LabError> {
    for node in Node::BOTH {
        cluster.host(node).run(
            "sh",
            [
                "-c",
                &format!("echo {} > /var/www/html/index.html", node.reply()),
            ],
        )?;
    }
    Ok(())
}

impl<'a> GroupBed<'a> {
    /// The group of `cluster`, built from [`resource_group_spec`] (its
    /// pages written by [`prepare_pages`]).
    pub fn of(cluster: &'a TwoNodeCluster) -> GroupBed<'a> {
        GroupBed { cluster }
    }

    /// The files whose presence on `node` shows every agent after the
    /// address has started there (the Dummy state files, nginx's pid
    /// file), as they can be read from outside the node.
    pub fn started_files(&self, node: Node) -> Vec<PathBuf> {
        let host = self.cluster.host(node);
        DUMMY_INSTANCES
            .iter()
            .map(|i| host.machine_path(dummy_state(i)))
            .chain([host.machine_path(NGINX_PID)])
            .collect()
    }

    /// Whether any of the group's files is on `node`.
    pub fn any_started(&self, node: Node) -> bool {
        self.started_files(node).iter().any(|p| p.exists())
    }

    /// Whether all of the group's files are on `node`.
    pub fn all_started(&self, node: Node) -> bool {
        self.started_files(node).iter().all(|p| p.exists())
    }

    /// What a reboot does to `node` after its daemon was killed: nginx
    /// stopped (by its init script), the Dummy state files gone, the
    /// address removed.
    pub fn wipe(&self, node: Node) -> Result<(), LabError> {
        let host = self.cluster.host(node);
        host.run("/etc/init.d/nginx", ["stop"])?;
        for instance in DUMMY_INSTANCES {
            let path = host.machine_path(dummy_state(instance));
            if path.exists() {
                std::fs::remove_file(&path)
                    .map_err(|e| LabError::io(path.display().to_string(), e))?;
            }
        }
        if self.cluster.holds_vip(node)? {
            host.del_address("eth0", GROUP_VIP_CIDR)?;
        }
        Ok(())
    }
}

/// [`ClusterSpec::fast`] (one IPaddr group on node-a, keepalive 100 ms,
/// deadtime 500 ms, auto_failback on) with the [`ROUTER`] as ping node
/// (`deadping`), watched by heartbeat's ipfail, the same ha.cf lines on
/// both nodes.
pub fn ipfail_spec(binary: impl Into<PathBuf>, deadping: &str) -> ClusterSpec {
    let mut spec = ClusterSpec::fast(binary);
    let router = IpAddr::from(ROUTER);
    spec.extra_ha_cf.extend([
        format!("deadping {deadping}"),
        format!("ping {router}"),
        "respawn hacluster /usr/libexec/heartbeat/ipfail".to_string(),
        "apiauth ipfail gid=haclient uid=hacluster".to_string(),
    ]);
    spec
}

/// Puts a router host holding [`ROUTER`] on the cluster's LAN.
pub fn connect_router(cluster: &TwoNodeCluster) -> Result<Host, LabError> {
    let router = cluster.lab().host("r")?;
    cluster
        .lab()
        .connect(&router, "eth0", &format!("{}/24", IpAddr::from(ROUTER)))?;
    Ok(router)
}

/// Whether only `owner` holds the virtual IP.
pub fn only_holder(cluster: &TwoNodeCluster, owner: Node) -> bool {
    cluster.holds_vip(owner).unwrap_or(false) && !cluster.holds_vip(owner.other()).unwrap_or(true)
}

/// The virtual IP's who-am-I port ([`VIP`]), for clients of the ipfail bed.
pub fn whoami_addr() -> SocketAddr {
    SocketAddr::from(VIP)
}

/// How long heartbeat may take to come up and settle a group (initdead,
/// its slower start, a failback through its resource scripts).
pub const HEARTBEAT_PATIENCE: Duration = Duration::from_secs(30);
