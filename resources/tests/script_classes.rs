//! The script classes against real scripts: an LSB init script, a heartbeat
//! resource.d script and an OCF agent, written by the tests into scratch
//! directories and resolved, built and run as ha-node does — arguments and
//! environment as each class passes them, exit codes and status output
//! read by each class's rules, a hung action killed with its process group
//! at its limit, and garbage answered with a failed action. Agents that
//! misbehave — binary and endless output, exit codes outside their
//! class's, death by a signal — fail the action with a message naming the
//! resource, the action and the code or signal, and a group whose start
//! fails that way is stopped again.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::alive;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ha_conf::Source;
use ha_resources::{
    build_agent, build_group, parse_haresources, ActionTimeouts, Agent, AgentErrorKind, Health,
    Resolved, Resolver,
};

/// Scratch `ha.d`, `init.d` and OCF root, removed on drop.
struct Scratch {
    root: PathBuf,
    resolver: Resolver,
}

impl Scratch {
    fn new(name: &str) -> Scratch {
        let root = std::env::temp_dir().join(format!(
            "ha-resources-scripts-{}-{name}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&root);
        let resolver = Resolver {
            config_dir: root.join("ha.d"),
            init_dir: root.join("init.d"),
            ocf_root: root.join("ocf"),
            director: root.join("sbin/lvs-director"),
            ipvsadm: root.join("sbin/ipvsadm"),
        };
        for dir in [
            resolver.config_dir.join("resource.d"),
            resolver.init_dir.clone(),
            resolver.ocf_root.join("resource.d/test"),
        ] {
            fs::create_dir_all(dir).expect("create a scratch directory");
        }
        Scratch { root, resolver }
    }

    /// A path in the scratch root (for logs and state files).
    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Writes an executable script at `relative` (e.g. `init.d/httpd`),
    /// with `@ROOT@` replaced by the scratch root.
    fn script(&self, relative: &str, body: &str) -> PathBuf {
        let path = self.root.join(relative);
        let text = body.replace("@ROOT@", &self.root.display().to_string());
        fs::write(&path, format!("#!/bin/sh\n{text}")).expect("write a script");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
        path
    }

    /// The agent of the haresources word `word`, each action limited to `limit`.
    fn agent(&self, word: &str, limit: Duration) -> Arc<dyn Agent> {
        let parsed = parse_haresources(&Source::new("haresources", format!("node {word}\n")))
            .expect("the word parses");
        build_agent(
            &parsed.groups[0].resources[0],
            &self.resolver,
            timeouts(limit),
        )
        .expect("the resource resolves")
    }

    /// The lines of the scratch file `name`.
    fn lines(&self, name: &str) -> Vec<String> {
        fs::read_to_string(self.path(name))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

fn timeouts(limit: Duration) -> ActionTimeouts {
    ActionTimeouts {
        start: limit,
        stop: limit,
        monitor: limit,
        validate: limit,
    }
}

const LIMIT: Duration = Duration::from_secs(10);

/// An LSB init script: records `ARGS... ACTION` to `log`, keeps its state
/// in a file, exits as LSB says.
const LSB_SCRIPT: &str = r#"
state=@ROOT@/httpd.state
for last; do :; done
echo "$*" >> @ROOT@/log
case "$last" in
  start) touch $state; exit 0;;
  stop) rm -f $state; exit 0;;
  status) if [ -e $state ]; then echo "httpd is running"; exit 0; fi
          echo "httpd is stopped"; exit 3;;
  *) exit 2;;
esac
"#;

#[tokio::test]
async fn lsb_script_starts_stops_and_reports_status_by_exit_code() {
    let scratch = Scratch::new("lsb");
    scratch.script("init.d/httpd", LSB_SCRIPT);
    let agent = scratch.agent("httpd::-f::/etc/httpd.conf", LIMIT);
    assert_eq!(agent.describe(), "httpd::-f::/etc/httpd.conf");
    assert_eq!(agent.monitor().await.expect("status"), Health::Stopped);
    agent.start().await.expect("start");
    agent.start().await.expect("start when running succeeds");
    assert_eq!(agent.monitor().await.expect("status"), Health::Running);
    agent.stop().await.expect("stop");
    agent.stop().await.expect("stop when stopped succeeds");
    assert_eq!(agent.monitor().await.expect("status"), Health::Stopped);
    agent.validate().await.expect("the script is there");
    assert_eq!(
        scratch.lines("log"),
        [
            "-f /etc/httpd.conf status",
            "-f /etc/httpd.conf start",
            "-f /etc/httpd.conf start",
            "-f /etc/httpd.conf status",
            "-f /etc/httpd.conf stop",
            "-f /etc/httpd.conf stop",
            "-f /etc/httpd.conf status",
        ],
        "arguments come before the action, as heartbeat passes them"
    );
}

#[tokio::test]
async fn lsb_status_codes_and_text_of_scripts_that_always_exit_0() {
    let scratch = Scratch::new("lsb-status");
    let cases: [(&str, Result<Health, &str>); 7] = [
        ("echo 'sshd is running'; exit 0", Ok(Health::Running)),
        ("exit 0", Ok(Health::Running)),
        ("echo 'sshd is not running'; exit 0", Ok(Health::Stopped)),
        ("echo 'sshd: Stopped'; exit 0", Ok(Health::Stopped)),
        ("exit 3", Ok(Health::Stopped)),
        (
            "echo 'garbage \x01'; exit 42",
            Err("sshd: status exited with 42, which is not an LSB status code (0 running, 1-2 dead, 3 stopped, 4 unknown) (last output: 'garbage \\u{1}')"),
        ),
        (
            "exit 1",
            Ok(Health::Failed(
                "status exit code 1: dead, but its pid file exists".into(),
            )),
        ),
    ];
    for (status, expected) in cases {
        scratch.script(
            "init.d/sshd",
            &format!("case \"$1\" in status) {status};; esac\nexit 0\n"),
        );
        let agent = scratch.agent("sshd", LIMIT);
        let found = agent.monitor().await.map_err(|e| e.to_string());
        assert_eq!(found, expected.map_err(str::to_string), "{status}");
    }
    for (code, health) in [
        (2, "status exit code 2: dead, but its lock file exists"),
        (4, "status exit code 4: status unknown"),
    ] {
        scratch.script("init.d/sshd", &format!("exit {code}\n"));
        let found = scratch
            .agent("sshd", LIMIT)
            .monitor()
            .await
            .expect("status");
        assert_eq!(found, Health::Failed(health.into()));
    }
}

#[tokio::test]
async fn a_start_exiting_42_fails_with_its_code_and_output() {
    let scratch = Scratch::new("exit42");
    scratch.script(
        "init.d/broken",
        "case \"$1\" in start) echo 'cannot bind port 80' >&2; exit 42;; \
         status) exit 42;; esac\nexit 6\n",
    );
    let agent = scratch.agent("broken", LIMIT);
    let error = agent.start().await.expect_err("exit 42");
    assert_eq!(
        error.to_string(),
        "broken: start failed: exit code 42 (reserved for future LSB use) (last output: 'cannot bind port 80')"
    );
    let error = agent
        .stop()
        .await
        .expect_err("exit 6, status does not say stopped");
    assert!(
        matches!(error.kind, AgentErrorKind::Configuration(_)),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "broken: invalid configuration: stop failed: exit code 6 (program is not configured)"
    );
}

#[tokio::test]
async fn a_failed_stop_of_a_stopped_resource_succeeds_as_heartbeat_allows() {
    let scratch = Scratch::new("lenient-stop");
    scratch.script(
        "ha.d/resource.d/legacy",
        "case \"$1\" in stop) exit 1;; status) echo 'legacy is not running';; esac\nexit 0\n",
    );
    scratch
        .agent("legacy", LIMIT)
        .stop()
        .await
        .expect("not running after all");
}

/// A heartbeat resource.d script: records its argv, says running or
/// stopped on status (always exit 0, as many such scripts do).
const HEARTBEAT_SCRIPT: &str = r#"
n=0; for arg; do n=$((n+1)); echo "$n=$arg"; done >> @ROOT@/argv
for last; do :; done
case "$last" in
  start) touch @ROOT@/fs.state;;
  stop) rm -f @ROOT@/fs.state;;
  status) if [ -e @ROOT@/fs.state ]; then echo running; else echo stopped; fi;;
esac
exit 0
"#;

#[tokio::test]
async fn heartbeat_script_gets_its_arguments_before_the_action_and_status_is_read_from_text() {
    let scratch = Scratch::new("heartbeat");
    scratch.script("ha.d/resource.d/Mount", HEARTBEAT_SCRIPT);
    let agent = scratch.agent("Mount::/dev/sda1::/data1::ext2", LIMIT);
    agent.start().await.expect("start");
    assert_eq!(agent.monitor().await.expect("status"), Health::Running);
    agent.stop().await.expect("stop");
    assert_eq!(agent.monitor().await.expect("status"), Health::Stopped);
    let argv = scratch.lines("argv");
    assert_eq!(
        argv[..4],
        ["1=/dev/sda1", "2=/data1", "3=ext2", "4=start"],
        "{argv:?}"
    );
    assert_eq!(argv.len(), 16, "four calls of four arguments: {argv:?}");
    // Whatever else status prints is "not running" to heartbeat.
    scratch.script("ha.d/resource.d/Mount", "echo '%%garbage%%'; exit 42\n");
    let agent = scratch.agent("Mount::/dev/sda1", LIMIT);
    assert_eq!(agent.monitor().await.expect("status"), Health::Stopped);
    scratch.script("ha.d/resource.d/Mount", "echo 'status: OK'\n");
    assert_eq!(agent.monitor().await.expect("status"), Health::Running);
}

#[tokio::test]
async fn a_hung_start_is_killed_with_its_process_group_at_its_limit() {
    let scratch = Scratch::new("hung");
    scratch.script(
        "init.d/hung",
        "{ sleep 100 & echo $!; sleep 100 & echo $!; echo $$; } > @ROOT@/pids; wait\n",
    );
    let limit = Duration::from_millis(300);
    let agent = scratch.agent("hung", limit);
    let began = Instant::now();
    let error = agent.start().await.expect_err("it hangs");
    let waited = began.elapsed();
    assert_eq!(
        error.to_string(),
        "hung: start timed out after 300ms; its process group was killed"
    );
    assert!(waited >= limit, "gave up after {waited:?}");
    assert!(waited < Duration::from_secs(8), "took {waited:?}");
    let pids: Vec<u32> = scratch
        .lines("pids")
        .iter()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    assert_eq!(pids.len(), 3, "the script and its two sleeps");
    let deadline = Instant::now() + Duration::from_secs(5);
    while pids.iter().any(|&pid| alive(pid)) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        pids.iter().all(|&pid| !alive(pid)),
        "still running: {pids:?}"
    );
}

/// A tiny OCF agent: records its action and OCF environment, keeps state
/// in a file named after the instance, answers with OCF exit codes.
const OCF_AGENT: &str = r#"
state=@ROOT@/ocf-$OCF_RESOURCE_INSTANCE.state
echo "$1 root=$OCF_ROOT instance=$OCF_RESOURCE_INSTANCE type=$OCF_RESOURCE_TYPE provider=$OCF_RESOURCE_PROVIDER tag=$OCF_RESKEY_tag timeout=$OCF_RESKEY_CRM_meta_timeout" >> @ROOT@/ocf.log
case "$1" in
  meta-data) echo '<?xml version="1.0"?><resource-agent name="Recorder"/>'; exit 0;;
  validate-all) [ -n "$OCF_RESKEY_tag" ] || exit 6; exit 0;;
  start) [ -n "$OCF_RESKEY_tag" ] || exit 6; touch $state; exit 0;;
  stop) rm -f $state; exit 0;;
  monitor) [ -n "$OCF_RESKEY_exit" ] && exit $OCF_RESKEY_exit
           [ -e $state ] && exit 0; exit 7;;
  *) exit 3;;
esac
"#;

#[tokio::test]
async fn ocf_agent_gets_the_ocf_environment_and_answers_by_ocf_codes() {
    let scratch = Scratch::new("ocf");
    scratch.script("ocf/resource.d/test/Recorder", OCF_AGENT);
    let agent = scratch.agent("ocf:test:Recorder::tag=web", Duration::from_secs(7));
    assert_eq!(agent.monitor().await.expect("monitor"), Health::Stopped);
    agent.validate().await.expect("validate-all");
    agent.start().await.expect("start");
    assert_eq!(agent.monitor().await.expect("monitor"), Health::Running);
    agent.stop().await.expect("stop");
    assert_eq!(agent.monitor().await.expect("monitor"), Health::Stopped);
    assert!(agent
        .meta_data()
        .contains(r#"<resource-agent name="Recorder"/>"#));
    let root = scratch.resolver.ocf_root.display().to_string();
    let line = |action: &str| {
        format!(
            "{action} root={root} instance=ocf_test_Recorder__tag_web type=Recorder \
             provider=test tag=web timeout=7000"
        )
    };
    let log = scratch.lines("ocf.log");
    assert_eq!(
        log[..6],
        [
            line("monitor"),
            line("validate-all"),
            line("start"),
            line("monitor"),
            line("stop"),
            line("monitor"),
        ]
    );
    assert!(log[6].starts_with("meta-data root="), "{log:?}");

    let unconfigured = scratch.agent("ocf:test:Recorder", LIMIT);
    let error = unconfigured.start().await.expect_err("no tag");
    assert!(
        matches!(error.kind, AgentErrorKind::Configuration(_)),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "ocf:test:Recorder: invalid configuration: start failed: not configured"
    );
    for (code, expected) in [
        (1, Ok(Health::Failed("generic error".into()))),
        (5, Ok(Health::Failed("not installed".into()))),
        (8, Ok(Health::Failed("running as master".into()))),
        (
            42,
            Err(
                "ocf:test:Recorder::exit=42: monitor failed: exit code 42 is not an OCF exit code"
                    .to_string(),
            ),
        ),
    ] {
        let agent = scratch.agent(&format!("ocf:test:Recorder::exit={code}"), LIMIT);
        let found = agent.monitor().await.map_err(|e| e.to_string());
        assert_eq!(found, expected, "monitor exiting {code}");
    }
}

#[tokio::test]
async fn a_group_of_every_class_starts_in_order_and_stops_in_reverse() {
    let scratch = Scratch::new("group");
    // Each records its calls and keeps its state in a file: running once
    // started, as each class reports it (heartbeat: the word; LSB: 0 or
    // 3; OCF: 0 or 7).
    let record = |name: &str| {
        format!(
            "for last; do :; done\necho \"{name} $last\" >> @ROOT@/order\n\
             state=@ROOT@/{name}.on\n\
             case \"$last\" in start) touch \"$state\";; stop) rm -f \"$state\";; esac\n\
             if [ \"$last\" = status ] || [ \"$last\" = monitor ]; then\n\
               if [ -e \"$state\" ]; then echo running; exit 0; fi\n\
               echo stopped; [ \"$last\" = monitor ] && exit 7; exit 3\n\
             fi\nexit 0\n"
        )
    };
    scratch.script("ha.d/resource.d/first", &record("first"));
    scratch.script("init.d/second", &record("second"));
    scratch.script("ocf/resource.d/test/third", &record("third"));
    let text = "node first::a second ocf:test:third::x=1\n";
    let parsed = parse_haresources(&Source::new("haresources", text)).expect("parses");
    let resolved = scratch.resolver.resolve_all(&parsed).expect("resolves");
    let classes: Vec<&str> = resolved[0]
        .resolved
        .iter()
        .map(|r| match r {
            Resolved::Heartbeat(_) => "heartbeat",
            Resolved::Lsb(_) => "lsb",
            Resolved::Ocf(_) => "ocf",
            Resolved::Native(_) => "native",
            Resolved::Director(_) => "director",
            Resolved::IpvsSync(_) => "ipvs-sync",
        })
        .collect();
    assert_eq!(classes, ["heartbeat", "lsb", "ocf"]);
    let mut group =
        build_group(&parsed.groups[0], &scratch.resolver, timeouts(LIMIT)).expect("builds");
    group.start().await.expect("starts");
    group.monitor().await.expect("healthy");
    group.stop().await.expect("stops");
    assert_eq!(
        scratch.lines("order"),
        [
            // The probe before the start finds nothing running.
            "first status",
            "second status",
            "third monitor",
            "first start",
            "second start",
            "third start",
            "first status",
            "second status",
            "third monitor",
            "third stop",
            "second stop",
            "first stop",
        ]
    );
}

/// Writes garbage on stdout and stderr on every action: binary bytes, a
/// 300 000-character line, and a last line without a newline.
const GARBAGE: &str = r#"
printf '\000\001\377\376 binary \033[31m\n'
printf '\377garbage on stderr\n' >&2
head -c 300000 /dev/zero | tr '\000' x
printf '\n'
printf 'no newline at the end'
"#;

#[tokio::test]
async fn garbage_on_every_action_is_read_by_exit_code_and_cut_in_messages() {
    let scratch = Scratch::new("garbage");
    let body = |exit: &str| format!("{GARBAGE}\n{exit}\n");
    scratch.script("init.d/noisy", &body("exit 0"));
    scratch.script("ha.d/resource.d/chatty", &body("exit 0"));
    scratch.script("ocf/resource.d/test/loud", &body("exit 0"));
    // heartbeat reads a resource.d status by its text: garbage is "not
    // running"; LSB and OCF read exit 0 as running.
    for (word, health) in [
        ("noisy", Health::Running),
        ("chatty", Health::Stopped),
        ("ocf:test:loud", Health::Running),
    ] {
        let agent = scratch.agent(word, LIMIT);
        agent.start().await.expect("exit 0 is a start");
        agent.stop().await.expect("exit 0 is a stop");
        assert_eq!(agent.monitor().await.expect("a status"), health, "{word}");
        let lines = agent.last_output();
        assert_eq!(
            lines.last().map(String::as_str),
            Some("no newline at the end"),
            "{word}: {lines:?}"
        );
        assert!(
            lines.iter().all(|line| line.len() <= 4096 + 8),
            "{word}: output lines are cut"
        );
    }
    scratch.script("init.d/noisy", &body("exit 1"));
    scratch.script("ocf/resource.d/test/loud", &body("exit 1"));
    for (word, expected) in [
        (
            "noisy",
            "noisy: start failed: exit code 1 (generic or unspecified error) \
             (last output: 'no newline at the end')",
        ),
        (
            "ocf:test:loud",
            "ocf:test:loud: start failed: generic error (last output: 'no newline at the end')",
        ),
    ] {
        let error = scratch
            .agent(word, LIMIT)
            .start()
            .await
            .expect_err("exit 1");
        assert_eq!(error.to_string(), expected);
    }
    // A long last line is cut in the message; control characters escaped.
    scratch.script(
        "init.d/noisy",
        "printf '\\001'; head -c 3000 /dev/zero | tr '\\000' y; exit 1\n",
    );
    let message = scratch
        .agent("noisy", LIMIT)
        .start()
        .await
        .expect_err("exit 1")
        .to_string();
    assert!(
        message.starts_with("noisy: start failed: exit code 1"),
        "{message}"
    );
    assert!(message.contains("'\\u{1}yyyy"), "{message}");
    assert!(message.ends_with("yyy…')"), "{message}");
    assert!(
        message.chars().count() < 300,
        "{} characters",
        message.len()
    );
}

#[tokio::test]
async fn ocf_codes_outside_the_spec_fail_start_and_monitor_by_their_number() {
    let scratch = Scratch::new("ocf-codes");
    scratch.script(
        "ocf/resource.d/test/Odd",
        "echo \"odd $1\" >&2; exit $OCF_RESKEY_code\n",
    );
    for code in [9, 42, 255] {
        let agent = scratch.agent(&format!("ocf:test:Odd::code={code}"), LIMIT);
        let start = agent.start().await.expect_err("not an OCF code");
        assert_eq!(
            start.to_string(),
            format!(
                "ocf:test:Odd::code={code}: start failed: exit code {code} is not an OCF exit \
                 code (last output: 'odd start')"
            )
        );
        let monitor = agent.monitor().await.expect_err("not an OCF code");
        assert_eq!(
            monitor.to_string(),
            format!(
                "ocf:test:Odd::code={code}: monitor failed: exit code {code} is not an OCF \
                 exit code (last output: 'odd monitor')"
            )
        );
        agent.validate().await.expect_err("not 0");
    }
}

#[tokio::test]
async fn lsb_status_codes_past_4_fail_the_status_naming_the_code() {
    let scratch = Scratch::new("lsb-codes");
    for code in [5, 7, 150, 255] {
        scratch.script(
            "init.d/svc",
            &format!("echo 'status said {code}'; exit {code}\n"),
        );
        let error = scratch
            .agent("svc", LIMIT)
            .monitor()
            .await
            .expect_err("not a status code");
        assert_eq!(
            error.to_string(),
            format!(
                "svc: status exited with {code}, which is not an LSB status code (0 running, \
                 1-2 dead, 3 stopped, 4 unknown) (last output: 'status said {code}')"
            )
        );
    }
}

#[tokio::test]
async fn an_agent_killed_by_a_signal_fails_the_action_naming_the_signal() {
    let scratch = Scratch::new("signal");
    let killer = "echo \"dying in $1\"; kill -$SIG $$; sleep 5; exit 0\n";
    scratch.script("init.d/victim", &killer.replace("$SIG", "KILL"));
    scratch.script("ha.d/resource.d/crash", &killer.replace("$SIG", "SEGV"));
    scratch.script("ocf/resource.d/test/abort", &killer.replace("$SIG", "ABRT"));
    for (word, action, expected) in [
        (
            "victim",
            "start",
            "victim: start: killed by signal 9 (SIGKILL)",
        ),
        (
            "victim",
            "monitor",
            "victim: status: killed by signal 9 (SIGKILL)",
        ),
        (
            "crash",
            "start",
            "crash: start: killed by signal 11 (SIGSEGV)",
        ),
        (
            "crash",
            "stop",
            "crash: stop: killed by signal 11 (SIGSEGV)",
        ),
        (
            "ocf:test:abort",
            "start",
            "ocf:test:abort: start: killed by signal 6 (SIGABRT)",
        ),
        (
            "ocf:test:abort",
            "monitor",
            "ocf:test:abort: monitor: killed by signal 6 (SIGABRT)",
        ),
    ] {
        let agent = scratch.agent(word, LIMIT);
        let began = Instant::now();
        let found = match action {
            "start" => agent.start().await.map(|_| ()),
            "stop" => agent.stop().await.map(|_| ()),
            _ => agent.monitor().await.map(|_| ()),
        };
        let error = found.expect_err("killed");
        assert_eq!(error.to_string(), expected);
        assert!(began.elapsed() < Duration::from_secs(4), "{word} {action}");
    }
}

#[tokio::test]
async fn a_group_whose_start_dies_half_way_is_stopped_again() {
    let scratch = Scratch::new("rollback");
    scratch.script(
        "ha.d/resource.d/first",
        "for last; do :; done\necho \"first $last\" >> @ROOT@/order\n\
         [ \"$last\" = status ] && echo stopped\nexit 0\n",
    );
    scratch.script(
        "ocf/resource.d/test/second",
        "echo \"second $1\" >> @ROOT@/order\n\
         case \"$1\" in start) printf '\\377\\376'; exit 255;; monitor|stop) exit 7;; esac\nexit 0\n",
    );
    scratch.script(
        "init.d/third",
        "echo \"third $1\" >> @ROOT@/order\n[ \"$1\" = status ] && exit 3\nexit 0\n",
    );
    let text = "node first::a ocf:test:second third\n";
    let parsed = parse_haresources(&Source::new("haresources", text)).expect("parses");
    let mut group =
        build_group(&parsed.groups[0], &scratch.resolver, timeouts(LIMIT)).expect("builds");
    let error = group.start().await.expect_err("second exits 255");
    let message = error.to_string();
    assert!(
        message.contains("ocf:test:second: start failed: exit code 255 is not an OCF exit code"),
        "{message}"
    );
    assert_eq!(
        scratch.lines("order"),
        [
            "first status",
            "second monitor",
            "third status",
            "first start",
            "second start",
            "second stop",
            "first stop"
        ],
        "probed, then third never started; the started part stopped in reverse"
    );
}
