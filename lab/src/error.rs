//! The one error type of the lab: every failure names what was attempted and,
//! for external commands, the full command line and its stderr.

use std::io;
use std::time::Duration;

/// Everything that can go wrong while building, using or tearing down a lab.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// The process lacks the privileges network namespaces need.
    #[error("the lab needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN): {detail}")]
    NotPermitted {
        /// What was found missing.
        detail: String,
    },
    /// A required program is not installed.
    #[error("`{tool}` not found (install the Debian package `{package}`): {source}")]
    ToolMissing {
        /// The program that could not be started.
        tool: String,
        /// The Debian package that provides it.
        package: String,
        /// The error from exec.
        source: io::Error,
    },
    /// A command could not be started.
    #[error("cannot run `{command}`: {source}")]
    Spawn {
        /// The command line.
        command: String,
        /// The error from fork/exec.
        source: io::Error,
    },
    /// A command ran but failed.
    #[error("`{command}` failed ({status}): {stderr}")]
    Command {
        /// The command line.
        command: String,
        /// How it ended (exit code or signal).
        status: String,
        /// What it wrote to stderr, trimmed.
        stderr: String,
    },
    /// A name given to the lab (host, LAN, interface) is not usable.
    #[error("invalid name `{name}`: {reason}")]
    InvalidName {
        /// The rejected name.
        name: String,
        /// Why it was rejected.
        reason: String,
    },
    /// An address or CIDR given to the lab is not usable.
    #[error("invalid address `{text}`: {reason}")]
    InvalidAddress {
        /// The rejected text.
        text: String,
        /// Why it was rejected.
        reason: String,
    },
    /// An argument is out of range (a percentage above 100, a zero port...).
    #[error("invalid {what}: {reason}")]
    InvalidArgument {
        /// Which argument.
        what: String,
        /// Why it was rejected.
        reason: String,
    },
    /// Something the lab waits for did not happen in time.
    #[error("timed out after {after:?} waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long the lab waited.
        after: Duration,
    },
    /// Entering a network namespace failed.
    #[error("cannot enter network namespace `{netns}`: {source}")]
    Enter {
        /// The namespace name.
        netns: String,
        /// The error from open or setns.
        source: io::Error,
    },
    /// Signalling, waiting for or reaping a process failed.
    #[error(transparent)]
    Process(#[from] ha_process::Error),
    /// An I/O operation of the lab itself failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: io::Error,
    },
    /// Output of a command could not be understood.
    #[error("cannot parse output of `{command}`: {reason}")]
    Parse {
        /// The command whose output was read.
        command: String,
        /// What was wrong with it.
        reason: String,
    },
    /// A VM of [`crate::vm`] could not be prepared: a download, an
    /// extraction, the kernel image, the initramfs or a static build failed.
    #[error("VM: cannot {what}: {detail}")]
    Vm {
        /// What was being done ("download the VM packages", ...).
        what: String,
        /// Why it failed (the command and its stderr, the missing file...).
        detail: String,
    },
    /// A program fetched for the VM cannot run on a machine that has only
    /// Debian's base packages and the cache: a library it needs was not
    /// fetched.
    #[error("VM: `{program}` cannot run: the shared library {library} is missing ({})",
        package.as_deref().map_or_else(
            || "no Debian package found that holds it".to_string(),
            |p| format!("it is in the Debian package {p}, which was not fetched")))]
    MissingLibrary {
        /// The program's file name.
        program: String,
        /// The library's file name, as the dynamic loader names it.
        library: String,
        /// The Debian package holding it, when one was found.
        package: Option<String>,
    },
    /// The VM's guest did not report its script's exit status before the
    /// deadline; QEMU was killed.
    #[error("VM timed out after {after:?}\n--- last guest output ---\n{output_tail}\n--- last console lines ---\n{console_tail}")]
    VmTimeout {
        /// How long the VM ran.
        after: Duration,
        /// The last lines the guest's script wrote.
        output_tail: String,
        /// The last lines of the kernel console.
        console_tail: String,
    },
    /// QEMU ended without the guest reporting its script's exit status
    /// (QEMU failed to start, the kernel panicked, `/init` died...).
    #[error("VM stopped ({qemu_status}) without a status from the guest: {qemu_stderr}\n--- last guest output ---\n{output_tail}\n--- last console lines ---\n{console_tail}")]
    VmExit {
        /// How QEMU ended.
        qemu_status: String,
        /// What QEMU wrote to stderr, trimmed.
        qemu_stderr: String,
        /// The last lines the guest's script wrote.
        output_tail: String,
        /// The last lines of the kernel console.
        console_tail: String,
    },
}

impl LabError {
    /// An [`LabError::Io`] with a context line.
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        LabError::Io {
            context: context.into(),
            source,
        }
    }
}
