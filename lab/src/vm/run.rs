//! One boot of the VM: the run's files and script are appended to the
//! base initramfs, QEMU boots it under TCG with no network device, the
//! guest's `/init` runs the script and powers off, and the host reads the
//! script's output and exit status from the second serial port's log.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use ha_process::Process;

use super::cache::remove_dir_if_present;
use super::cpio::CpioWriter;
use super::image::{add_host_file, add_tree, VmImage};
use super::init::{split_status, RUN_SCRIPT};
use crate::LabError;

/// Lines of output and console kept in errors.
const TAIL_LINES: usize = 40;

static NEXT_RUN: AtomicU32 = AtomicU32::new(0);

/// A VM to boot from an image, with its size. Each [`Vm::run`] is a fresh
/// boot; runs may happen in parallel.
#[derive(Debug, Clone)]
pub struct Vm<'a> {
    image: &'a VmImage,
    memory_mib: u32,
    cpus: u32,
}

/// What a run of the guest's script produced.
#[derive(Debug, Clone)]
pub struct VmRun {
    /// The script's exit status (125 if the guest could not be set up).
    pub status: i32,
    /// What the script wrote to stdout and stderr.
    pub output: String,
    /// The kernel's console.
    pub console: String,
    /// From starting QEMU until it ended.
    pub elapsed: Duration,
}

impl VmRun {
    /// Whether the script exited with status 0.
    pub fn success(&self) -> bool {
        self.status == 0
    }
}

impl<'a> Vm<'a> {
    /// A VM booting `image` with 1 GiB of memory and one CPU.
    pub fn new(image: &'a VmImage) -> Self {
        Vm {
            image,
            memory_mib: 1024,
            cpus: 1,
        }
    }

    /// Sets the guest's memory (it holds the initramfs, files included).
    pub fn memory_mib(mut self, mib: u32) -> Self {
        self.memory_mib = mib;
        self
    }

    /// Sets the number of guest CPUs.
    pub fn cpus(mut self, cpus: u32) -> Self {
        self.cpus = cpus;
        self
    }

    /// Boots the VM with `files` (pairs of host path and absolute guest
    /// path; a directory brings everything under it) and runs `script` with
    /// the guest's `/bin/sh` from `/`, as root, with `HA_VM=1` in its
    /// environment. Ends when the guest has reported the script's exit
    /// status and powered off, or fails after `timeout`.
    pub fn run<H: AsRef<Path>, G: AsRef<Path>>(
        &self,
        files: &[(H, G)],
        script: &str,
        timeout: Duration,
    ) -> Result<VmRun, LabError> {
        if self.memory_mib < 128 || self.cpus == 0 {
            return Err(LabError::InvalidArgument {
                what: "VM size".to_string(),
                reason: format!(
                    "{} MiB and {} CPUs (at least 128 MiB and 1 CPU)",
                    self.memory_mib, self.cpus
                ),
            });
        }
        let runs = self.image.cache.join("runs");
        sweep_stale_runs(&runs);
        let dir = runs.join(format!(
            "{}-{}",
            std::process::id(),
            NEXT_RUN.fetch_add(1, Ordering::Relaxed)
        ));
        remove_dir_if_present(&dir)?;
        std::fs::create_dir_all(&dir)
            .map_err(|e| LabError::io(format!("creating {}", dir.display()), e))?;
        let result = self.run_in(&dir, files, script, timeout);
        if let Err(e) = remove_dir_if_present(&dir) {
            log::warn!("cannot remove VM run directory: {e}");
        }
        result
    }

    fn run_in<H: AsRef<Path>, G: AsRef<Path>>(
        &self,
        dir: &Path,
        files: &[(H, G)],
        script: &str,
        timeout: Duration,
    ) -> Result<VmRun, LabError> {
        let initrd = dir.join("initrd");
        write_initrd(&self.image.base, &initrd, files, script)?;
        let console = dir.join("console.log");
        let output = dir.join("output.log");
        let qemu_log = dir.join("qemu.log");
        let mut cmd = self.qemu_command(&initrd, &console, &output);
        let log = File::create(&qemu_log)
            .map_err(|e| LabError::io(format!("creating {}", qemu_log.display()), e))?;
        let log_err = log
            .try_clone()
            .map_err(|e| LabError::io(format!("opening {}", qemu_log.display()), e))?;
        cmd.stdin(Stdio::null()).stdout(log).stderr(log_err);
        die_with_parent(&mut cmd);
        let started = Instant::now();
        // Killed (no grace) and reaped when the host stops waiting for it:
        // an error, a timeout, a panicking test.
        let qemu = match Process::spawn(&mut cmd) {
            Ok(qemu) => qemu.with_grace(Duration::ZERO),
            Err(ha_process::Error::Spawn { command, source }) => {
                return Err(LabError::Spawn { command, source })
            }
            Err(other) => return Err(other.into()),
        };
        let Some(status) = qemu.wait_timeout(timeout)? else {
            if let Err(e) = qemu.terminate_blocking() {
                log::warn!("{e}");
            }
            return Err(LabError::VmTimeout {
                after: started.elapsed(),
                output_tail: tail(&read_log(&output)),
                console_tail: tail(&read_log(&console)),
            });
        };
        let elapsed = started.elapsed();
        let output_text = read_log(&output);
        let console_text = read_log(&console);
        match split_status(&output_text) {
            Some((code, before)) => Ok(VmRun {
                status: code,
                output: before.to_string(),
                console: console_text,
                elapsed,
            }),
            None => Err(LabError::VmExit {
                qemu_status: status.to_string(),
                qemu_stderr: read_log(&qemu_log).trim().to_string(),
                output_tail: tail(&output_text),
                console_tail: tail(&console_text),
            }),
        }
    }

    fn qemu_command(&self, initrd: &Path, console: &Path, output: &Path) -> Command {
        let image = self.image;
        let mut cmd = Command::new(&image.qemu);
        cmd.env("LD_LIBRARY_PATH", &image.lib_path);
        for dir in &image.firmware {
            cmd.arg("-L").arg(dir);
        }
        // `-cpu max` offers RDRAND, which seeds the guest's random number
        // generator at boot: statically linked programs wait for it (the
        // `getrandom` crate polls /dev/random when glibc's getrandom
        // cannot be looked up), and an idle guest gathers entropy slowly.
        cmd.args(["-machine", "pc,accel=tcg", "-cpu", "max"])
            .args(["-nodefaults", "-no-user-config"])
            .args(["-display", "none", "-nic", "none", "-no-reboot"])
            .args(["-m", &self.memory_mib.to_string()])
            .args(["-smp", &self.cpus.to_string()])
            .arg("-kernel")
            .arg(&image.vmlinux)
            .arg("-initrd")
            .arg(initrd)
            .args(["-append", "console=ttyS0 panic=-1 quiet"])
            .arg("-chardev")
            .arg(chardev_file("console", console))
            .args(["-serial", "chardev:console"])
            .arg("-chardev")
            .arg(chardev_file("output", output))
            .args(["-serial", "chardev:output"]);
        cmd
    }
}

/// Makes the kernel kill QEMU if the thread that started it dies (a test
/// process killed outright cannot run its drops).
fn die_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs between fork and exec and only makes one
    // async-signal-safe system call (prctl).
    unsafe {
        cmd.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
                .map_err(std::io::Error::from)
        });
    }
}

/// Removes run directories (`PID-SEQ`) of processes that no longer exist.
fn sweep_stale_runs(runs: &Path) {
    let Ok(entries) = std::fs::read_dir(runs) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new("/proc").join(pid.to_string()).exists() {
            if let Err(e) = remove_dir_if_present(&entry.path()) {
                log::warn!("cannot remove stale VM run directory: {e}");
            }
        }
    }
}

/// A `-chardev` option writing to `path` (commas doubled, as QEMU wants).
fn chardev_file(id: &str, path: &Path) -> String {
    format!(
        "file,id={id},path={}",
        path.display().to_string().replace(',', ",,")
    )
}

/// The base image followed by an archive of the run's files and script.
fn write_initrd<H: AsRef<Path>, G: AsRef<Path>>(
    base: &Path,
    initrd: &Path,
    files: &[(H, G)],
    script: &str,
) -> Result<(), LabError> {
    let io = |what: &str, path: &Path, e: std::io::Error| {
        LabError::io(format!("{what} {}", path.display()), e)
    };
    let mut out = BufWriter::new(File::create(initrd).map_err(|e| io("creating", initrd, e))?);
    let mut base_file = File::open(base).map_err(|e| io("opening", base, e))?;
    let copied = std::io::copy(&mut base_file, &mut out).map_err(|e| io("copying", base, e))?;
    if copied % 4 != 0 {
        return Err(LabError::Vm {
            what: "append to the base initramfs".to_string(),
            detail: format!("{} is not padded to 4 bytes", base.display()),
        });
    }
    let mut cpio = CpioWriter::new(out);
    for (host, guest) in files {
        let (host, guest) = (host.as_ref(), guest.as_ref());
        let Some(guest_text) = guest.to_str().filter(|g| g.starts_with('/')) else {
            return Err(LabError::InvalidArgument {
                what: "guest path".to_string(),
                reason: format!("`{}` is not an absolute UTF-8 path", guest.display()),
            });
        };
        if host.is_dir() {
            cpio.directory(guest_text, 0o755)
                .map_err(|e| io("writing", initrd, e))?;
            add_tree(&mut cpio, host, guest_text)?;
        } else {
            add_host_file(&mut cpio, host, guest_text)?;
        }
    }
    cpio.file(RUN_SCRIPT, 0o755, script.as_bytes())
        .map_err(|e| io("writing", initrd, e))?;
    let mut out = cpio.finish().map_err(|e| io("writing", initrd, e))?;
    out.flush().map_err(|e| io("writing", initrd, e))
}

/// The last [`TAIL_LINES`] lines of `text`.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}

/// A serial log as text, with the tty's carriage returns removed.
fn read_log(path: &Path) -> String {
    std::fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).replace("\r\n", "\n"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chardev_paths_escape_commas() {
        assert_eq!(
            chardev_file("out", Path::new("/a,b/log")),
            "file,id=out,path=/a,,b/log"
        );
    }

    #[test]
    fn run_directories_of_dead_processes_are_swept() {
        let runs = std::env::temp_dir().join(format!("ha-vm-runs-{}", std::process::id()));
        let mine = runs.join(format!("{}-0", std::process::id()));
        // PIDs never exceed 2^22 on Linux.
        let dead = runs.join("4294967-3");
        let other = runs.join("not-a-run");
        for dir in [&mine, &dead, &other] {
            std::fs::create_dir_all(dir.join("inside")).unwrap();
        }
        sweep_stale_runs(&runs);
        assert!(mine.is_dir() && other.is_dir());
        assert!(!dead.exists());
        std::fs::remove_dir_all(&runs).unwrap();
    }

    #[test]
    fn tails_keep_the_last_lines() {
        let text: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let kept = tail(&text);
        assert!(kept.starts_with("line 60\n"));
        assert!(kept.ends_with("line 99"));
        assert_eq!(tail(""), "");
    }
}
