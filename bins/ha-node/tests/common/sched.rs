//! How a running node is scheduled, read from /proc: its threads' policies
//! and realtime priorities, its locked memory; and the ha.cf lines and
//! resource script the realtime tests add to a [`TwoNodeCluster`].

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use ha_lab::cluster::{Node, TwoNodeCluster};

/// `policy` of /proc/PID/stat for SCHED_OTHER.
pub const SCHED_OTHER: u32 = 0;

/// `policy` of /proc/PID/stat for SCHED_FIFO.
pub const SCHED_FIFO: u32 = 1;

/// The name the membership thread carries (`comm`).
pub const MEMBERSHIP_THREAD: &str = "membership";

/// One thread's scheduling, from /proc/PID/task/TID/stat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadSched {
    /// Its id.
    pub tid: u32,
    /// Its name (`comm`).
    pub comm: String,
    /// Field 40, `rt_priority`.
    pub rt_priority: u32,
    /// Field 41, `policy` (0 SCHED_OTHER, 1 SCHED_FIFO).
    pub policy: u32,
}

/// `(comm, rt_priority, policy)` from the text of a /proc stat file.
pub fn parse_stat(stat: &str) -> Option<(String, u32, u32)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_string();
    // Fields from 3 (state) on; field N is at index N - 3.
    let fields: Vec<&str> = stat.get(close + 1..)?.split_whitespace().collect();
    let rt_priority = fields.get(40 - 3)?.parse().ok()?;
    let policy = fields.get(41 - 3)?.parse().ok()?;
    Some((comm, rt_priority, policy))
}

/// Every thread of process `pid` (empty once it has gone).
pub fn threads(pid: u32) -> Vec<ThreadSched> {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    let mut threads: Vec<ThreadSched> = tasks
        .filter_map(Result::ok)
        .filter_map(|task| {
            let tid = task.file_name().to_str()?.parse().ok()?;
            let stat = fs::read_to_string(task.path().join("stat")).ok()?;
            let (comm, rt_priority, policy) = parse_stat(&stat)?;
            Some(ThreadSched {
                tid,
                comm,
                rt_priority,
                policy,
            })
        })
        .collect();
    threads.sort_by_key(|t| t.tid);
    threads
}

/// The threads of `pid` at SCHED_FIFO.
pub fn fifo_threads(pid: u32) -> Vec<ThreadSched> {
    threads(pid)
        .into_iter()
        .filter(|t| t.policy == SCHED_FIFO)
        .collect()
}

/// `VmLck` of /proc/PID/status, in kB.
pub fn vm_lck_kb(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmLck:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()
}

/// The pid of `ha-node run` for `node` of this cluster: the process whose
/// command line names its configuration directory after `run`.
pub fn node_pid(cluster: &TwoNodeCluster, node: Node) -> Option<u32> {
    let dir = cluster.config_dir(node);
    let dir = dir.to_str()?;
    fs::read_dir("/proc")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| {
            let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else {
                return false;
            };
            let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
            args.first()
                .is_some_and(|program| program.ends_with(b"ha-node"))
                && args.contains(&b"run".as_slice())
                && args
                    .windows(2)
                    .any(|pair| pair[0] == b"--config-dir".as_slice() && pair[1] == dir.as_bytes())
        })
}

/// Appends `lines` to `node`'s ha.cf (before it is started).
pub fn append_ha_cf(cluster: &TwoNodeCluster, node: Node, lines: &str) {
    let path = cluster.config_dir(node).join("ha.cf");
    let mut file = fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    writeln!(file, "{lines}").unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Where `node`'s probe script records each call: `ACTION RT_PRIORITY
/// POLICY` of the script process itself, then of a child it forks.
pub fn probe_log(cluster: &TwoNodeCluster, node: Node) -> PathBuf {
    cluster.node_dir(node).join("probe.log")
}

/// Adds a heartbeat resource script `probe` to the group (after the
/// virtual IP) on `node`: `resource.d/probe start|stop|status`, which
/// records how it and a child of it are scheduled in [`probe_log`].
pub fn add_probe_resource(cluster: &TwoNodeCluster, node: Node) {
    let config = cluster.config_dir(node);
    let resource_d = config.join("resource.d");
    fs::create_dir_all(&resource_d).unwrap();
    let state = cluster.node_dir(node).join("probe.running");
    let script = format!(
        r#"#!/bin/sh
sched() {{ sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f38,39; }}
child=$(sh -c "sed 's/.*) //' /proc/\$\$/stat | cut -d' ' -f38,39")
echo "$1 $(sched $$) $child" >> '{log}'
case "$1" in
start) touch '{state}' ;;
stop) rm -f '{state}' ;;
status) if [ -e '{state}' ]; then echo running; else echo stopped; fi ;;
esac
exit 0
"#,
        log = probe_log(cluster, node).display(),
        state = state.display(),
    );
    let path = resource_d.join("probe");
    fs::write(&path, script).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(
        config.join("haresources"),
        "node-a IPaddr::10.77.0.100/24/eth0 probe\n",
    )
    .unwrap();
}

/// The calls recorded by `node`'s probe: `(action, [rt_priority, policy]
/// of the script, [rt_priority, policy] of its child)`.
pub fn probe_calls(cluster: &TwoNodeCluster, node: Node) -> Vec<(String, [u32; 2], [u32; 2])> {
    fs::read_to_string(probe_log(cluster, node))
        .unwrap_or_default()
        .lines()
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let number = |i: usize| -> u32 {
                words
                    .get(i)
                    .and_then(|w| w.parse().ok())
                    .unwrap_or_else(|| panic!("probe line '{line}'"))
            };
            (
                words.first().copied().unwrap_or_default().to_string(),
                [number(1), number(2)],
                [number(3), number(4)],
            )
        })
        .collect()
}
