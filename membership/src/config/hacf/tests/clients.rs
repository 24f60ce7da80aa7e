//! `respawn`, `apiauth`, `watchdog` and `metrics_listen`: what is read, and each complaint at
//! its line.

use super::*;

#[test]
fn respawn_apiauth_and_watchdog_are_read_in_file_order() {
    let config = config(&format!(
        "watchdog /dev/watchdog\n{MEDIA_AND_NODES}\
         respawn hacluster /usr/lib/heartbeat/ipfail\n\
         respawn root /usr/local/bin/agent -v --name=a,b\n\
         respawn root /usr/local/bin/agent -v --name=a,b\n\
         apiauth ipfail gid=haclient uid=hacluster\n\
         apiauth ping gid=haclient uid=alanr,root\n\
         apiauth default gid=haclient\n\
         auto_failback on\n"
    ));
    assert_eq!(config.watchdog, Some(PathBuf::from("/dev/watchdog")));
    assert!(
        config.ipfail,
        "ipfail's respawn turns the built-in ipfail on"
    );
    let agent = respawn("root", "/usr/local/bin/agent", &["-v", "--name=a,b"]);
    assert_eq!(
        config.respawns,
        [
            respawn("hacluster", "/usr/lib/heartbeat/ipfail", &[]),
            agent.clone(),
            agent,
        ]
    );
    assert_eq!(
        config
            .respawns
            .iter()
            .map(|r| r.location.line)
            .collect::<Vec<_>>(),
        [4, 5, 6]
    );
    assert!(config.respawns[0].is_ipfail());
    assert!(!config.respawns[1].is_ipfail());
    assert_eq!(
        config.apiauth,
        [
            apiauth("ipfail", &["hacluster"], &["haclient"]),
            apiauth("ping", &["alanr", "root"], &["haclient"]),
            apiauth("default", &[], &["haclient"]),
        ]
    );
    assert_eq!(config.apiauth[2].location.to_string(), "/etc/ha.d/ha.cf:9");
}

#[test]
fn without_them_nothing_is_respawned_or_watched() {
    let config = config(MEDIA_AND_NODES);
    assert_eq!(config.watchdog, None);
    assert!(config.respawns.is_empty());
    assert!(config.apiauth.is_empty());
}

#[test]
fn malformed_respawn_lines_are_refused_at_their_line() {
    assert_eq!(
        error("respawn"),
        "/etc/ha.d/ha.cf:1: respawn: expected USER /FULL/PATH/PROGRAM [ARGS...], found nothing"
    );
    assert_eq!(
        error("\nrespawn hacluster"),
        "/etc/ha.d/ha.cf:2: respawn: expected USER /FULL/PATH/PROGRAM [ARGS...], \
         found only 'hacluster' (no program)"
    );
    assert_eq!(
        error("respawn hacluster ipfail"),
        "/etc/ha.d/ha.cf:1: respawn: the program 'ipfail' is not a full path; write it \
         from / (e.g. /usr/lib/heartbeat/ipfail)"
    );
    for shell in ["'quoted'", "$HOME", ">/tmp/log", "a;b", "*.conf", "`x`"] {
        assert_eq!(
            error(&format!("respawn root /bin/prog {shell}")),
            format!(
                "/etc/ha.d/ha.cf:1: respawn: '{shell}' is shell syntax, which heartbeat's \
                 /bin/sh would interpret and ha-node does not (it runs the program with its \
                 words as arguments); put the command in a script and respawn the script"
            )
        );
    }
}

#[test]
fn malformed_apiauth_lines_are_refused_at_their_line() {
    let form = "CLIENT uid=USER[,USER...] and/or gid=GROUP[,GROUP...]";
    assert_eq!(
        error("apiauth"),
        format!("/etc/ha.d/ha.cf:1: apiauth: expected {form}, found nothing")
    );
    assert_eq!(
        error("apiauth ipfail"),
        format!(
            "/etc/ha.d/ha.cf:1: apiauth ipfail: expected a uid= or gid= list \
             (syntax: apiauth {form})"
        )
    );
    assert_eq!(
        error("apiauth ipfail user=root"),
        "/etc/ha.d/ha.cf:1: apiauth ipfail: expected uid=LIST or gid=LIST, found 'user=root'"
    );
    assert_eq!(
        error("apiauth ipfail uid=root uid=hacluster"),
        "/etc/ha.d/ha.cf:1: apiauth ipfail: uid= is given twice"
    );
    assert_eq!(
        error("apiauth ipfail gid=,haclient"),
        "/etc/ha.d/ha.cf:1: apiauth ipfail: 'gid=,haclient' has an empty name; write \
         gid=NAME[,NAME...]"
    );
    assert_eq!(
        error(&format!("apiauth {} uid=root", "c".repeat(32))),
        format!(
            "/etc/ha.d/ha.cf:1: apiauth: the client name '{}' is longer than 31 bytes, \
             the longest heartbeat keeps",
            "c".repeat(32)
        )
    );
    assert_eq!(
        error("apiauth ipfail uid=root\napiauth ipfail gid=haclient"),
        "/etc/ha.d/ha.cf:2: apiauth ipfail: this client's permissions are already set at line 1"
    );
}

#[test]
fn malformed_watchdog_lines_are_refused_at_their_line() {
    assert_eq!(
        error("watchdog"),
        "/etc/ha.d/ha.cf:1: watchdog: expected a file name, found nothing"
    );
    assert_eq!(
        error("watchdog /dev/watchdog /dev/watchdog0"),
        "/etc/ha.d/ha.cf:1: watchdog: expected one value, found 2: '/dev/watchdog /dev/watchdog0'"
    );
    assert_eq!(
        error("watchdog /dev/watchdog\n\nwatchdog /dev/watchdog"),
        "/etc/ha.d/ha.cf:3: watchdog is already set at line 1"
    );
}

#[test]
fn render_writes_them_back() {
    let text = format!(
        "watchdog /dev/watchdog\n{MEDIA_AND_NODES}respawn root /bin/prog -x\n\
         apiauth ping uid=root gid=haclient\n"
    );
    let config = config(&text);
    let rendered = config.render();
    assert!(
        rendered.contains("\nwatchdog /dev/watchdog\n"),
        "{rendered}"
    );
    assert!(
        rendered.contains("\nrespawn root /bin/prog -x\n"),
        "{rendered}"
    );
    assert!(
        rendered.contains("\napiauth ping uid=root gid=haclient\n"),
        "{rendered}"
    );
    assert_eq!(parse(&rendered), Ok(config));
}

#[test]
fn metrics_listen_is_read_refused_at_its_line_and_written_back() {
    let config = config(&format!("metrics_listen 127.0.0.1:9694\n{MEDIA_AND_NODES}"));
    assert_eq!(config.metrics_listen, "127.0.0.1:9694".parse().ok());
    assert!(config
        .render()
        .contains("\nmetrics_listen 127.0.0.1:9694\n"));
    let v6 = config_of("metrics_listen [::1]:9694\n");
    assert_eq!(v6.metrics_listen, "[::1]:9694".parse().ok());
    assert_eq!(config_of("").metrics_listen, None);
    assert_eq!(
        error("metrics_listen 127.0.0.1"),
        "/etc/ha.d/ha.cf:1: metrics_listen: expected an address and port such as \
         127.0.0.1:9694 or [::1]:9694, found '127.0.0.1'"
    );
    assert_eq!(
        error("metrics_listen localhost:9694"),
        "/etc/ha.d/ha.cf:1: metrics_listen: expected an address and port such as \
         127.0.0.1:9694 or [::1]:9694, found 'localhost:9694'"
    );
    assert_eq!(
        error("metrics_listen 127.0.0.1:1\nmetrics_listen 127.0.0.1:2"),
        "/etc/ha.d/ha.cf:2: metrics_listen is already set at line 1"
    );
}

fn config_of(line: &str) -> HaConfig {
    config(&format!("{line}{MEDIA_AND_NODES}"))
}
