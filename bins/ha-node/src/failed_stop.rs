//! What a node does when a resource it is letting go cannot be stopped:
//! heartbeat's `RecoverFromFailedStop`. The resource may still be up here
//! (a mounted disk, an address), so no peer can safely take it over while
//! this node lives. heartbeat kills itself ungracefully and reboots the
//! machine (`/sbin/reboot -nf` on Linux); so does this node: it logs at
//! error level, runs the failed-stop command (that reboot unless
//! `--failed-stop-command` names another), and exits at once without
//! releasing anything or telling its peers, which then take over after
//! deadtime, as they would after the reboot.

use std::time::Duration;

use ha_process::Command;

/// heartbeat's reboot on Linux.
pub const DEFAULT_COMMAND: &str = "/sbin/reboot -nf";

/// How long the command may run before the node exits anyway.
const COMMAND_LIMIT: Duration = Duration::from_secs(30);

/// The exit status of a node that gave up after a failed stop.
const EXIT_STATUS: i32 = 70;

/// The failed-stop command, split on blanks.
#[derive(Debug, Clone)]
pub struct FailedStop {
    command: Vec<String>,
}

impl FailedStop {
    /// The command line `text` (words separated by blanks).
    pub fn new(text: &str) -> Result<Self, String> {
        let command: Vec<String> = text.split_whitespace().map(str::to_string).collect();
        if command.is_empty() {
            return Err("--failed-stop-command: expected a program, found nothing".into());
        }
        Ok(FailedStop { command })
    }

    /// Gives up after `error`: logs, runs the command, and ends the process.
    pub async fn recover(&self, group: &str, error: &str) -> ! {
        log::error!("CRIT: resource group {group} did not stop: {error}");
        log::error!(
            "CRIT: Resource STOP failure. Reboot required! Running '{}' and leaving \
             without releasing anything",
            self.command.join(" ")
        );
        if let Some((program, args)) = self.command.split_first() {
            let run = Command::new(program)
                .args(args)
                .timeout(COMMAND_LIMIT)
                .tag("failed-stop command")
                .run()
                .await;
            match run {
                Ok(outcome) => log::error!("'{}': {outcome}", self.command.join(" ")),
                Err(error) => log::error!("CRIT: Unable to force reboot: {error}"),
            }
        }
        log::logger().flush();
        std::process::exit(EXIT_STATUS)
    }
}
