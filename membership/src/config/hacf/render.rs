//! Writes an [`HaConfig`] back out as ha.cf text.
//!
//! Every value is written explicitly (defaults included, but for a
//! `compression_threshold` that cannot take effect), `udpport` and
//! `baud` before the media they apply to, one node per line. The result parses back to an
//! equal [`HaConfig`] for any value [`super::parse_ha_cf`] can produce.

use super::ping::PingNode;
use super::HaConfig;
use crate::config::time::render_time;
use crate::wire::DEFAULT_THRESHOLD_KIB;

impl HaConfig {
    /// This configuration as ha.cf text that parses back to an equal value.
    ///
    /// Only values ha.cf can express survive the trip: times in whole
    /// milliseconds, bcast and ucast media on the `udpport`, file names and
    /// node names without whitespace, commas or `#`, lower-case node names,
    /// respawn and apiauth words without whitespace or `#`.
    pub fn render(&self) -> String {
        let mut lines = vec![
            "# ha.cf written by heartbeat-rs".to_owned(),
            format!("udpport {}", self.udpport),
            format!("baud {}", self.baud),
            format!("keepalive {}", render_time(self.keepalive)),
            format!("warntime {}", render_time(self.warntime)),
            format!("deadtime {}", render_time(self.deadtime)),
            format!("initdead {}", render_time(self.initdead)),
            format!("auto_failback {}", self.auto_failback.name()),
            format!("realtime {}", if self.realtime { "on" } else { "off" }),
            format!("rtprio {}", self.rtprio),
            format!("deadping {}", render_time(self.deadping)),
            format!("compression {}", self.compression.method),
            format!(
                "traditional_compression {}",
                if self.compression.traditional {
                    "on"
                } else {
                    "off"
                }
            ),
        ];
        // A threshold only matters in traditional mode; written without it,
        // it draws a note, so the default is left out.
        let kib = self.compression.threshold / 1024;
        if self.compression.traditional || kib != DEFAULT_THRESHOLD_KIB {
            lines.push(format!("compression_threshold {kib}"));
        }
        if let Some(logfile) = &self.logfile {
            lines.push(format!("logfile {}", logfile.display()));
        }
        if let Some(debugfile) = &self.debugfile {
            lines.push(format!("debugfile {}", debugfile.display()));
        }
        if let Some(facility) = &self.logfacility {
            lines.push(format!("logfacility {facility}"));
        }
        if let Some(watchdog) = &self.watchdog {
            lines.push(format!("watchdog {}", watchdog.display()));
        }
        lines.extend(self.media.iter().map(ToString::to_string));
        lines.extend(self.nodes.iter().map(|node| format!("node {node}")));
        lines.extend(self.ping_nodes.iter().map(|node| node.render()));
        lines.extend(self.ping_nodes.iter().filter_map(PingNode::render_weight));
        lines.extend(self.respawns.iter().map(ToString::to_string));
        lines.extend(self.apiauth.iter().map(ToString::to_string));
        lines.extend(self.fencing.iter().map(ToString::to_string));
        let mut text = lines.join("\n");
        text.push('\n');
        text
    }
}
