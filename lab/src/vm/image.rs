//! The boot image, built once per cache and reused by every run: an
//! uncompressed `vmlinux`, and a base initramfs (an uncompressed cpio
//! archive) holding busybox with all its applets, the kernel modules,
//! ipvsadm and iproute2's `ip` with their libraries, and `/init`. Each
//! run appends its own small archive to the base.

use std::fmt::Write as _;
use std::fs::File;
use std::io::BufWriter;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ha_process::Command;

use super::cache::{remove_dir_if_present, CacheLock};
use super::cpio::CpioWriter;
use super::fetch::{base_packages, ensure_fetched, lib_dirs, prove_programs_run, root_dir};
use super::init::init_script;
use super::kernel::extract_vmlinux;
use super::libs::needed_by;
use super::modules::{self, GUEST_MODULES};
use crate::command::run;
use crate::LabError;

/// Changes whenever the layout of the image changes, so old caches are
/// rebuilt.
const IMAGE_FORMAT: &str = "ha-vm image 1";

/// A file copied from the host into the base image.
struct HostFile {
    host: PathBuf,
    guest: String,
}

/// How long preparing an image took; `None` for a step the cache spared.
#[derive(Debug, Clone, Default)]
pub struct Preparation {
    /// Waiting for another process holding the cache.
    pub lock_wait: Duration,
    /// Downloading and unpacking the packages.
    pub fetch: Option<Duration>,
    /// Building the kernel image and base initramfs.
    pub build: Option<Duration>,
}

/// A bootable image: QEMU, its firmware, the kernel and the base
/// initramfs, all in the cache directory. See [`crate::vm`].
#[derive(Debug, Clone)]
pub struct VmImage {
    pub(crate) cache: PathBuf,
    pub(crate) qemu: PathBuf,
    pub(crate) lib_path: String,
    pub(crate) firmware: Vec<PathBuf>,
    pub(crate) vmlinux: PathBuf,
    pub(crate) base: PathBuf,
    kernel_release: String,
    preparation: Preparation,
}

impl VmImage {
    /// The image in `cache` (see [`super::cache_dir`]): fetches the
    /// packages on first use and builds the image when missing or out of
    /// date. Safe when several processes call it at once.
    pub fn prepare(cache: &Path) -> Result<VmImage, LabError> {
        let waiting = Instant::now();
        let _lock = CacheLock::acquire(cache)?;
        let mut preparation = Preparation {
            lock_wait: waiting.elapsed(),
            ..Preparation::default()
        };
        let fetched = ensure_fetched(cache)?;
        preparation.fetch = fetched.took;
        let root = root_dir(cache);
        let lib_path = lib_dirs(cache)
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(":");
        let image_dir = cache.join("image");
        let files = host_files(&root, &lib_path)?;
        let stamp = stamp_text(&fetched.kernel_release, &files)?;
        let stamp_path = image_dir.join("stamp");
        if std::fs::read_to_string(&stamp_path).ok().as_deref() != Some(stamp.as_str()) {
            let started = Instant::now();
            build(cache, &root, &lib_path, &fetched.kernel_release, &files)?;
            std::fs::write(&stamp_path, &stamp)
                .map_err(|e| LabError::io(format!("writing {}", stamp_path.display()), e))?;
            preparation.build = Some(started.elapsed());
        }
        Ok(VmImage {
            cache: cache.to_path_buf(),
            qemu: root.join("usr/bin/qemu-system-x86_64"),
            lib_path,
            firmware: ["usr/share/qemu", "usr/share/seabios", "usr/lib/ipxe/qemu"]
                .iter()
                .map(|dir| root.join(dir))
                .collect(),
            vmlinux: image_dir.join("vmlinux"),
            base: image_dir.join("base.cpio"),
            kernel_release: fetched.kernel_release,
            preparation,
        })
    }

    /// The guest kernel's release, e.g. `6.1.0-48-amd64`.
    pub fn kernel_release(&self) -> &str {
        &self.kernel_release
    }

    /// The cache directory the image lives in.
    pub fn cache(&self) -> &Path {
        &self.cache
    }

    /// Runs each fetched program as the fetch does to prove it complete
    /// (with only Debian's base libraries and the cache visible), with the
    /// libraries named in `hide` left out as if they had not been fetched;
    /// fails with [`LabError::MissingLibrary`] naming the first one a
    /// program needs.
    pub fn prove_programs_run(&self, hide: &[&str]) -> Result<(), LabError> {
        let _lock = CacheLock::acquire(&self.cache)?;
        prove_programs_run(&self.cache, &base_packages()?, hide)
    }

    /// What preparing this image cost.
    pub fn preparation(&self) -> &Preparation {
        &self.preparation
    }
}

/// Host files of the base image besides busybox and the modules: the
/// guest programs and every library they need.
fn host_files(root: &Path, lib_path: &str) -> Result<Vec<HostFile>, LabError> {
    let mut programs = vec![(root.join("sbin/ipvsadm"), "/sbin/ipvsadm".to_string())];
    // iproute2 for `ip netns` and friends (busybox's `ip` has no netns).
    if let Some(ip) = find_in_path("ip").and_then(|p| std::fs::canonicalize(p).ok()) {
        programs.push((ip, "/sbin/ip".to_string()));
    }
    let mut files = Vec::new();
    for (host, guest) in programs {
        for needed in needed_by(&host, lib_path)? {
            if !files.iter().any(|f: &HostFile| f.guest == needed.guest) {
                files.push(HostFile {
                    host: needed.host,
                    guest: needed.guest,
                });
            }
        }
        files.push(HostFile { host, guest });
    }
    Ok(files)
}

/// What the image is made of; a different text means a rebuild.
fn stamp_text(kernel_release: &str, files: &[HostFile]) -> Result<String, LabError> {
    let mut text = format!(
        "{IMAGE_FORMAT}\nkernel {kernel_release}\nmodules {}\n{}\n",
        GUEST_MODULES.join(" "),
        init_script()
    );
    for file in files {
        let meta = std::fs::metadata(&file.host)
            .map_err(|e| LabError::io(format!("reading {}", file.host.display()), e))?;
        let _ = writeln!(
            text,
            "{} {} {} {}",
            file.guest,
            file.host.display(),
            meta.len(),
            meta.mtime()
        );
    }
    Ok(text)
}

fn find_in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/sbin:/usr/bin:/sbin:/bin".into());
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| {
            std::fs::metadata(candidate)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Builds `cache/image` from scratch (the caller holds the lock).
fn build(
    cache: &Path,
    root: &Path,
    lib_path: &str,
    release: &str,
    files: &[HostFile],
) -> Result<(), LabError> {
    let image_dir = cache.join("image");
    remove_dir_if_present(&image_dir)?;
    let rootfs = image_dir.join("rootfs");
    let io = |what: &str, path: &Path, e: std::io::Error| {
        LabError::io(format!("{what} {}", path.display()), e)
    };
    std::fs::create_dir_all(&rootfs).map_err(|e| io("creating", &rootfs, e))?;
    let busybox = root.join("bin/busybox");
    modules::index_full_tree(&busybox, root, release)?;
    modules::install(&busybox, root, &rootfs, release)?;

    let archive_path = image_dir.join("base.cpio");
    let archive = File::create(&archive_path).map_err(|e| io("creating", &archive_path, e))?;
    let mut cpio = CpioWriter::new(BufWriter::new(archive));
    let write_error = |e: std::io::Error| io("writing", &archive_path, e);
    for dir in ["/proc", "/sys", "/dev", "/tmp", "/run", "/root", "/etc"] {
        cpio.directory(dir, 0o755).map_err(write_error)?;
    }
    add_host_file(&mut cpio, &busybox, "/bin/busybox")?;
    let guest_paths: Vec<&str> = files.iter().map(|f| f.guest.as_str()).collect();
    for applet in busybox_applets(&busybox)? {
        if applet != "/bin/busybox" && !guest_paths.contains(&applet.as_str()) {
            cpio.symlink(&applet, "/bin/busybox").map_err(write_error)?;
        }
    }
    for file in files {
        add_host_file(&mut cpio, &file.host, &file.guest)?;
    }
    add_tree(&mut cpio, &rootfs, "/")?;
    for (path, text) in [
        ("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
        ("/etc/group", "root:x:0:\n"),
        ("/etc/hosts", "127.0.0.1 localhost\n::1 localhost\n"),
    ] {
        cpio.file(path, 0o644, text.as_bytes())
            .map_err(write_error)?;
    }
    cpio.file("/init", 0o755, init_script().as_bytes())
        .map_err(write_error)?;
    cpio.finish().map_err(write_error)?;

    let bzimage = root.join("boot").join(format!("vmlinuz-{release}"));
    if !bzimage.is_file() {
        return Err(LabError::Vm {
            what: "find the kernel".to_string(),
            detail: format!("{} is missing", bzimage.display()),
        });
    }
    extract_vmlinux(
        &bzimage,
        &image_dir.join("vmlinux"),
        &root.join("usr/bin/xz"),
        lib_path,
    )
}

/// Guest paths of busybox's applets (`/bin/sh`, `/sbin/modprobe`...).
fn busybox_applets(busybox: &Path) -> Result<Vec<String>, LabError> {
    let list = run(Command::new(busybox).arg("--list-full")).map_err(|e| LabError::Vm {
        what: "list busybox's applets".to_string(),
        detail: e.to_string(),
    })?;
    Ok(list
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| format!("/{line}"))
        .collect())
}

/// Adds host file `host` (following symlinks) as `guest`.
pub(crate) fn add_host_file<W: std::io::Write>(
    cpio: &mut CpioWriter<W>,
    host: &Path,
    guest: &str,
) -> Result<(), LabError> {
    let file =
        File::open(host).map_err(|e| LabError::io(format!("opening {}", host.display()), e))?;
    let meta = file
        .metadata()
        .map_err(|e| LabError::io(format!("reading {}", host.display()), e))?;
    let mtime = u32::try_from(meta.mtime()).unwrap_or(0);
    cpio.file_from(guest, meta.mode(), mtime, meta.len(), file)
        .map_err(|e| LabError::io(format!("archiving {} as {guest}", host.display()), e))
}

/// Adds every file and directory under host directory `host`, sorted by
/// name, below guest directory `guest` (symbolic links are followed).
pub(crate) fn add_tree<W: std::io::Write>(
    cpio: &mut CpioWriter<W>,
    host: &Path,
    guest: &str,
) -> Result<(), LabError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(host)
        .map_err(|e| LabError::io(format!("listing {}", host.display()), e))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(|e| LabError::io(format!("listing {}", host.display()), e))?;
    entries.sort();
    for path in entries {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            return Err(LabError::InvalidArgument {
                what: "file name".to_string(),
                reason: format!("{} is not UTF-8", path.display()),
            });
        };
        let guest_path = format!("{}/{name}", guest.trim_end_matches('/'));
        if path.is_dir() {
            cpio.directory(&guest_path, 0o755)
                .map_err(|e| LabError::io(format!("archiving {}", path.display()), e))?;
            add_tree(cpio, &path, &guest_path)?;
        } else {
            add_host_file(cpio, &path, &guest_path)?;
        }
    }
    Ok(())
}
