//! Starting and ending a daemon process: the tokio runtime its async part
//! runs on, the signal mask it must not inherit, and the one line an
//! operator reads when it fails.

use std::fmt::Display;
use std::future::Future;
use std::process::ExitCode;

use tokio::runtime::Runtime;

/// The tokio runtime could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot start the async runtime: {0}")]
pub struct RuntimeError(
    /// The cause.
    pub std::io::Error,
);

/// A multi-threaded runtime with two workers (the work is I/O-bound and the
/// machines small), every driver enabled.
pub fn multi_thread() -> Result<Runtime, RuntimeError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(RuntimeError)
}

/// A runtime on the calling thread, every driver enabled (for a short
/// client exchange, or netlink bound to this thread's namespace).
pub fn current_thread() -> Result<Runtime, RuntimeError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(RuntimeError)
}

/// Runs `future` to completion on a [`multi_thread`] runtime.
pub fn block_on<F: Future>(future: F) -> Result<F::Output, RuntimeError> {
    Ok(multi_thread()?.block_on(future))
}

/// Unblocks every signal for this thread and the threads it starts: a
/// parent may have blocked some, and SIGTERM, SIGINT and SIGHUP must reach
/// the daemon.
pub fn clear_signal_mask() {
    let _ = nix::sys::signal::sigprocmask(
        nix::sys::signal::SigmaskHow::SIG_SETMASK,
        Some(&nix::sys::signal::SigSet::empty()),
        None,
    );
}

/// Runs a daemon's main future: clears the signal mask, then [`block_on`].
pub fn run_daemon<F: Future>(future: F) -> Result<F::Output, RuntimeError> {
    clear_signal_mask();
    block_on(future)
}

/// Prints `PROGRAM: ERROR` on stderr; exit status 1.
pub fn fail(program: &str, error: impl Display) -> ExitCode {
    eprintln!("{program}: {error}");
    ExitCode::from(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::signal::{SigSet, SigmaskHow, Signal};

    #[test]
    fn a_daemon_runs_with_no_signal_blocked() {
        // On a thread of its own: the mask is per thread.
        std::thread::spawn(|| {
            let mut blocked = SigSet::empty();
            blocked.add(Signal::SIGTERM);
            blocked.add(Signal::SIGHUP);
            nix::sys::signal::sigprocmask(SigmaskHow::SIG_BLOCK, Some(&blocked), None).unwrap();
            let mask = run_daemon(async {
                let mut mask = SigSet::empty();
                nix::sys::signal::sigprocmask(SigmaskHow::SIG_BLOCK, None, Some(&mut mask))
                    .unwrap();
                (
                    mask.contains(Signal::SIGTERM),
                    mask.contains(Signal::SIGHUP),
                )
            })
            .unwrap();
            assert_eq!(mask, (false, false));
        })
        .join()
        .unwrap();
    }

    #[test]
    fn both_runtimes_run_timers_and_tasks() {
        let on_workers = block_on(async {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            tokio::spawn(async { 2 }).await.unwrap()
        })
        .unwrap();
        assert_eq!(on_workers, 2);
        let here = current_thread()
            .unwrap()
            .block_on(async { tokio::spawn(async { 3 }).await.unwrap() });
        assert_eq!(here, 3);
    }
}
