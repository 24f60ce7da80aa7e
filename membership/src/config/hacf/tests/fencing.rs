//! `stonith`, `stonith_host` and `stonith_command`.

use super::*;

#[test]
fn the_last_line_that_applies_to_a_node_wins() {
    let ha = config(
        "bcast eth0\nnode a b\n\
         stonith external/ssh /etc/ha.d/ssh.cfg\n\
         stonith_host b null a b\n\
         stonith_host * external/ssh a b\n\
         stonith_host A meatware a b\n",
    );
    assert_eq!(ha.fencing.len(), 4);
    let for_a = ha.fence_device_for("a").map(|d| d.location.line);
    let for_b = ha.fence_device_for("b").map(|d| d.location.line);
    assert_eq!(for_a, Some(6));
    assert_eq!(for_b, Some(5));
    let rendered = config(&ha.render());
    assert_eq!(rendered, ha);
}

#[test]
fn stonith_command_is_a_device_too() {
    let ha = config("bcast eth0\nnode a b\nstonith_command /usr/local/bin/fence -q\n");
    let device = ha.fence_device_for("b");
    assert_eq!(
        device.map(|d| d.method.clone()),
        Some(FenceMethod::Command {
            program: PathBuf::from("/usr/local/bin/fence"),
            args: vec!["-q".to_string()],
        })
    );
    assert_eq!(config("bcast eth0\nnode a\n").fence_device_for("a"), None);
}

#[test]
fn malformed_fencing_lines_are_refused_at_their_line() {
    assert_eq!(
        error("stonith external/ssh"),
        "/etc/ha.d/ha.cf:1: stonith: expected TYPE CONFIGFILE (e.g. external/ssh \
         /etc/ha.d/stonith.cfg), found only 'external/ssh' (no configuration file)"
    );
    assert_eq!(
        error("\nstonith_host *"),
        "/etc/ha.d/ha.cf:2: stonith_host: expected HOSTFROM|* TYPE PARAMS... (e.g. * \
         external/ssh node-a node-b), found only '*' (no device type)"
    );
    assert_eq!(
        error("stonith_command fence"),
        "/etc/ha.d/ha.cf:1: stonith_command: the program 'fence' is not a full path; \
         write it from /"
    );
}
