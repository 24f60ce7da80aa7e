//! keepalived's notify scripts of an instance, as keepalived 2.2.7 calls
//! them (lib/notify.c, vrrp_notify.c): on each state change the script of
//! that state (`notify_master`, `notify_backup`, `notify_fault`,
//! `notify_stop`) with no argument of ours, then `notify` with four:
//! `INSTANCE NAME STATE PRIORITY` (`GROUP` for a sync group; STATE one of
//! MASTER, BACKUP, FAULT, STOP; PRIORITY the effective one). The command
//! line is split into words as keepalived splits it: on blanks, with
//! double or single quotes keeping a word together.
//!
//! Pure: [`scripts`] says what to run; the driver runs each through
//! ha-process in a task of its own, with a timeout.

use crate::config::{Notify, ScriptUser};

/// The state a notify script is told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotifyState {
    /// Became master.
    Master,
    /// Became backup.
    Backup,
    /// Entered the fault state.
    Fault,
    /// Stopped.
    Stop,
}

impl NotifyState {
    /// keepalived's word for it.
    pub fn word(self) -> &'static str {
        match self {
            NotifyState::Master => "MASTER",
            NotifyState::Backup => "BACKUP",
            NotifyState::Fault => "FAULT",
            NotifyState::Stop => "STOP",
        }
    }
}

/// One program to run: its words and whom it runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// Program and arguments.
    pub argv: Vec<String>,
    /// The user (the script's own, else `script_user`; `None`: ours).
    pub user: Option<ScriptUser>,
}

/// What to run when instance `name` enters `state` at `priority`, in
/// order; `default_user` is `global_defs`' `script_user`.
pub fn scripts(
    notify: &Notify,
    name: &str,
    state: NotifyState,
    priority: u8,
    default_user: Option<&ScriptUser>,
) -> Vec<Script> {
    let specific = match state {
        NotifyState::Master => &notify.master,
        NotifyState::Backup => &notify.backup,
        NotifyState::Fault => &notify.fault,
        NotifyState::Stop => &notify.stop,
    };
    let mut out = Vec::new();
    let user = |c: &crate::config::Command| c.user.clone().or_else(|| default_user.cloned());
    if let Some(command) = specific {
        let argv = split_command(&command.command);
        if !argv.is_empty() {
            out.push(Script {
                argv,
                user: user(command),
            });
        }
    }
    if let Some(command) = &notify.any {
        let mut argv = split_command(&command.command);
        if !argv.is_empty() {
            argv.extend([
                "INSTANCE".to_string(),
                name.to_string(),
                state.word().to_string(),
                priority.to_string(),
            ]);
            out.push(Script {
                argv,
                user: user(command),
            });
        }
    }
    out
}

/// Splits a command line into words: blanks separate, quotes group.
pub fn split_command(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => word.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            None => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Command;
    use proptest::prelude::*;

    proptest! {
        /// Any words (without double quotes) written each in double
        /// quotes, blanks between, split back to themselves.
        #[test]
        fn quoted_words_split_back(words in proptest::collection::vec("[^\"]{0,12}", 0..6), gap in "[ \t]{1,3}") {
            let line = words.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(&gap);
            prop_assert_eq!(split_command(&line), words);
        }

        /// Anything splits without panicking, into words with no blank
        /// outside quotes.
        #[test]
        fn anything_splits(line in ".{0,64}") {
            let _ = split_command(&line);
        }
    }

    fn command(text: &str) -> Option<Command> {
        Some(Command {
            command: text.to_string(),
            user: None,
        })
    }

    #[test]
    fn words_as_keepalived_splits_them() {
        assert_eq!(
            split_command(r#"/bin/echo "two words" 'and more'  x"#),
            ["/bin/echo", "two words", "and more", "x"]
        );
        assert!(split_command("   ").is_empty());
        assert_eq!(split_command(r#"a """#), ["a", ""]);
    }

    #[test]
    fn the_state_script_then_notify_with_four_arguments() {
        let notify = Notify {
            master: command("/etc/keepalived/master.sh --now"),
            backup: command("/etc/keepalived/backup.sh"),
            any: command("/etc/keepalived/notify.sh"),
            ..Notify::default()
        };
        let root = ScriptUser {
            user: "root".to_string(),
            group: None,
        };
        let got = scripts(&notify, "VI_1", NotifyState::Master, 100, Some(&root));
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].argv, ["/etc/keepalived/master.sh", "--now"]);
        assert_eq!(got[0].user, Some(root.clone()));
        assert_eq!(
            got[1].argv,
            [
                "/etc/keepalived/notify.sh",
                "INSTANCE",
                "VI_1",
                "MASTER",
                "100"
            ]
        );
        let stop = scripts(&notify, "VI_1", NotifyState::Stop, 0, None);
        assert_eq!(
            stop.iter().map(|s| s.argv.clone()).collect::<Vec<_>>(),
            [vec![
                "/etc/keepalived/notify.sh".to_string(),
                "INSTANCE".to_string(),
                "VI_1".to_string(),
                "STOP".to_string(),
                "0".to_string()
            ]]
        );
    }
}
