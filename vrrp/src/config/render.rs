//! A [`KeepalivedConf`] written back as keepalived.conf text, every value
//! explicit, so that parsing the text gives the same model.

use std::fmt::Write;

use super::model::{
    Command, KeepalivedConf, Notify, ScriptUser, StartState, Tracked, VirtualAddress,
};
use super::values::render_seconds;
use crate::packet::Version;

/// A word as keepalived.conf must write it: quoted when it is empty,
/// holds a separator, a comment or brace character or a backslash, or
/// would read as an `include` or a refused line start.
pub fn word(text: &str) -> String {
    let special = text.is_empty()
        || text.chars().any(|c| {
            matches!(
                c,
                ' ' | '\t' | '\x0c' | '\x0b' | '\r' | '\n' | '#' | '!' | '{' | '}' | '\\'
            )
        })
        || text.starts_with(['$', '@', '~'])
        || text.starts_with("include");
    if special {
        format!("\"{text}\"")
    } else {
        text.to_string()
    }
}

fn user(out: &mut String, user: &Option<ScriptUser>) {
    if let Some(u) = user {
        let _ = write!(out, " {}", word(&u.user));
        if let Some(g) = &u.group {
            let _ = write!(out, " {}", word(g));
        }
    }
}

fn command(out: &mut String, indent: &str, keyword: &str, command: &Option<Command>) {
    if let Some(c) = command {
        let _ = write!(out, "{indent}{keyword} \"{}\"", c.command);
        user(out, &c.user);
        out.push('\n');
    }
}

fn notify(out: &mut String, indent: &str, n: &Notify) {
    command(out, indent, "notify_master", &n.master);
    command(out, indent, "notify_backup", &n.backup);
    command(out, indent, "notify_fault", &n.fault);
    command(out, indent, "notify_stop", &n.stop);
    command(out, indent, "notify", &n.any);
}

fn version(v: Version) -> u8 {
    v.number()
}

fn write_address(out: &mut String, a: &VirtualAddress) {
    let _ = write!(out, "    {}", a.address);
    if let Some(len) = a.prefix_len {
        let _ = write!(out, "/{len}");
    }
    if let Some(brd) = &a.brd {
        let _ = write!(out, " brd {brd}");
    }
    if let Some(dev) = &a.dev {
        let _ = write!(out, " dev {}", word(dev));
    }
    if let Some(scope) = &a.scope {
        let _ = write!(out, " scope {}", word(scope));
    }
    if let Some(label) = &a.label {
        let _ = write!(out, " label {}", word(label));
    }
    out.push('\n');
}

fn tracked(out: &mut String, keyword: &str, list: &[Tracked]) {
    if list.is_empty() {
        return;
    }
    let _ = writeln!(out, "  {keyword} {{");
    for t in list {
        let _ = write!(out, "    {}", word(&t.name));
        if let Some(w) = t.weight {
            let _ = write!(out, " weight {w}");
            if t.reverse {
                out.push_str(" reverse");
            }
        }
        out.push('\n');
    }
    out.push_str("  }\n");
}

impl KeepalivedConf {
    /// The configuration as keepalived.conf text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let g = &self.global;
        out.push_str("global_defs {\n");
        if let Some(id) = &g.router_id {
            let _ = writeln!(out, "  router_id {}", word(id));
        }
        if !g.notification_email.is_empty() {
            out.push_str("  notification_email {\n");
            for e in &g.notification_email {
                let _ = writeln!(out, "    {}", word(e));
            }
            out.push_str("  }\n");
        }
        if let Some(from) = &g.notification_email_from {
            let _ = writeln!(out, "  notification_email_from {}", word(from));
        }
        if let Some(s) = &g.smtp_server {
            let _ = writeln!(out, "  smtp_server {} {}", word(&s.host), s.port);
        }
        let _ = writeln!(
            out,
            "  smtp_connect_timeout {}",
            g.smtp_connect_timeout.as_secs()
        );
        if let Some(u) = &g.script_user {
            out.push_str("  script_user");
            user(&mut out, &Some(u.clone()));
            out.push('\n');
        }
        if g.enable_script_security {
            out.push_str("  enable_script_security\n");
        }
        let _ = writeln!(out, "  vrrp_version {}", version(g.vrrp_version));
        let _ = writeln!(
            out,
            "  vrrp_garp_master_delay {}",
            g.vrrp_garp_master_delay.as_secs()
        );
        let _ = writeln!(
            out,
            "  vrrp_garp_master_repeat {}",
            g.vrrp_garp_master_repeat
        );
        let _ = writeln!(
            out,
            "  vrrp_garp_master_refresh {}",
            g.vrrp_garp_master_refresh.as_secs()
        );
        let _ = writeln!(
            out,
            "  vrrp_garp_master_refresh_repeat {}",
            g.vrrp_garp_master_refresh_repeat
        );
        if !g.vrrp_garp_interval.is_zero() {
            let _ = writeln!(
                out,
                "  vrrp_garp_interval {}",
                render_seconds(g.vrrp_garp_interval)
            );
        }
        if !g.vrrp_gna_interval.is_zero() {
            let _ = writeln!(
                out,
                "  vrrp_gna_interval {}",
                render_seconds(g.vrrp_gna_interval)
            );
        }
        if g.vrrp_strict {
            out.push_str("  vrrp_strict\n");
        }
        if g.v3_checksum_as_v2 {
            out.push_str("  v3_checksum_as_v2\n");
        }
        out.push_str("}\n");
        for s in &self.scripts {
            let _ = writeln!(out, "vrrp_script {} {{", word(&s.name));
            let _ = writeln!(out, "  script \"{}\"", s.script);
            let _ = writeln!(out, "  interval {}", s.interval.as_secs());
            if let Some(t) = s.timeout {
                let _ = writeln!(out, "  timeout {}", t.as_secs());
            }
            let _ = writeln!(
                out,
                "  weight {}{}",
                s.weight,
                if s.weight_reverse { " reverse" } else { "" }
            );
            let _ = writeln!(out, "  rise {}", s.rise);
            let _ = writeln!(out, "  fall {}", s.fall);
            if let Some(u) = &s.user {
                out.push_str("  user");
                user(&mut out, &Some(u.clone()));
                out.push('\n');
            }
            out.push_str("}\n");
        }
        for i in &self.instances {
            let _ = writeln!(out, "vrrp_instance {} {{", word(&i.name));
            match i.state {
                Some(StartState::Master) => out.push_str("  state MASTER\n"),
                Some(StartState::Backup) => out.push_str("  state BACKUP\n"),
                None => {}
            }
            let _ = writeln!(out, "  interface {}", word(&i.interface));
            let _ = writeln!(out, "  virtual_router_id {}", i.virtual_router_id);
            let _ = writeln!(out, "  priority {}", i.priority);
            let _ = writeln!(out, "  advert_int {}", render_seconds(i.advert_int));
            let _ = writeln!(out, "  version {}", version(i.version));
            if let Some(a) = &i.authentication {
                let _ = writeln!(
                    out,
                    "  authentication {{\n    auth_type PASS\n    auth_pass {}\n  }}",
                    word(&a.pass)
                );
            }
            for (keyword, list) in [
                ("virtual_ipaddress", &i.virtual_ipaddress),
                ("virtual_ipaddress_excluded", &i.virtual_ipaddress_excluded),
            ] {
                if !list.is_empty() {
                    let _ = writeln!(out, "  {keyword} {{");
                    list.iter().for_each(|a| write_address(&mut out, a));
                    out.push_str("  }\n");
                }
            }
            tracked(&mut out, "track_interface", &i.track_interface);
            tracked(&mut out, "track_script", &i.track_script);
            notify(&mut out, "  ", &i.notify);
            if let Some(on) = i.smtp_alert {
                let _ = writeln!(out, "  smtp_alert {on}");
            }
            if i.nopreempt {
                out.push_str("  nopreempt\n");
            }
            if !i.preempt_delay.is_zero() {
                let _ = writeln!(out, "  preempt_delay {}", render_seconds(i.preempt_delay));
            }
            match i.accept {
                Some(true) => out.push_str("  accept\n"),
                Some(false) => out.push_str("  no_accept\n"),
                None => {}
            }
            if let Some(src) = &i.unicast_src_ip {
                let _ = writeln!(out, "  unicast_src_ip {src}");
            }
            if !i.unicast_peer.is_empty() {
                out.push_str("  unicast_peer {\n");
                for p in &i.unicast_peer {
                    let _ = writeln!(out, "    {p}");
                }
                out.push_str("  }\n");
            }
            let _ = writeln!(out, "  garp_master_delay {}", i.garp_master_delay.as_secs());
            let _ = writeln!(out, "  garp_master_repeat {}", i.garp_master_repeat);
            let _ = writeln!(
                out,
                "  garp_master_refresh {}",
                i.garp_master_refresh.as_secs()
            );
            let _ = writeln!(
                out,
                "  garp_master_refresh_repeat {}",
                i.garp_master_refresh_repeat
            );
            out.push_str("}\n");
        }
        for g in &self.sync_groups {
            let _ = writeln!(out, "vrrp_sync_group {} {{", word(&g.name));
            out.push_str("  group {\n");
            for m in &g.group {
                let _ = writeln!(out, "    {}", word(m));
            }
            out.push_str("  }\n");
            notify(&mut out, "  ", &g.notify);
            if let Some(on) = g.smtp_alert {
                let _ = writeln!(out, "  smtp_alert {on}");
            }
            out.push_str("}\n");
        }
        out
    }
}
