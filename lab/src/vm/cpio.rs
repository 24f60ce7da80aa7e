//! A writer of `newc` cpio archives, the format the kernel unpacks into its
//! initial root filesystem. Archives written here are uncompressed and end
//! on a 4-byte boundary, so several can be concatenated into one initramfs:
//! the kernel unpacks them in order, later files replacing earlier ones.

use std::collections::BTreeSet;
use std::io::{self, Read, Write};

/// The magic of a `newc` header (no checksums).
const MAGIC: &str = "070701";
/// Name of the entry that ends an archive.
const TRAILER: &str = "TRAILER!!!";
/// File type bits of `st_mode`.
const S_IFMT: u32 = 0o170000;
const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFLNK: u32 = 0o120000;
/// The format stores sizes in 8 hex digits.
const MAX_SIZE: u64 = u32::MAX as u64;

/// Writes entries to `out` in the `newc` format. Paths are absolute guest
/// paths (`/bin/sh`); the parent directories of every entry are written
/// first, once, with mode 0755.
pub(crate) struct CpioWriter<W: Write> {
    out: W,
    /// Bytes written so far (for padding).
    offset: u64,
    next_inode: u32,
    directories: BTreeSet<String>,
}

impl<W: Write> CpioWriter<W> {
    /// A writer appending to `out`, which must be at a 4-byte boundary.
    pub(crate) fn new(out: W) -> Self {
        CpioWriter {
            out,
            offset: 0,
            next_inode: 1,
            directories: BTreeSet::new(),
        }
    }

    /// A directory `path` (and its parents) with permission bits `mode`.
    pub(crate) fn directory(&mut self, path: &str, mode: u32) -> io::Result<()> {
        let name = archive_name(path)?;
        if name.is_empty() {
            return Ok(());
        }
        self.parents(&name)?;
        if self.directories.insert(name.clone()) {
            self.entry(&name, S_IFDIR | (mode & 0o7777), 0, 0)?;
        }
        Ok(())
    }

    /// A regular file `path` holding `data`.
    pub(crate) fn file(&mut self, path: &str, mode: u32, data: &[u8]) -> io::Result<()> {
        self.file_from(path, mode, 0, data.len() as u64, data)
    }

    /// A regular file `path` of `size` bytes read from `data`, which must
    /// deliver exactly that many (a file that changed size is an error).
    pub(crate) fn file_from(
        &mut self,
        path: &str,
        mode: u32,
        mtime: u32,
        size: u64,
        data: impl Read,
    ) -> io::Result<()> {
        let name = archive_name(path)?;
        self.parents(&name)?;
        self.entry(&name, S_IFREG | (mode & 0o7777), mtime, size)?;
        let copied = io::copy(&mut data.take(size), &mut self.out)?;
        if copied != size {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{path}: expected {size} bytes, read {copied}"),
            ));
        }
        self.offset += copied;
        self.pad()
    }

    /// A symbolic link `path` pointing at `target`.
    pub(crate) fn symlink(&mut self, path: &str, target: &str) -> io::Result<()> {
        let name = archive_name(path)?;
        self.parents(&name)?;
        self.entry(&name, S_IFLNK | 0o777, 0, target.len() as u64)?;
        self.write(target.as_bytes())?;
        self.pad()
    }

    /// Writes the trailer and returns the output; the archive's length is
    /// a multiple of 4.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.entry(TRAILER, 0, 0, 0)?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn parents(&mut self, name: &str) -> io::Result<()> {
        let mut end = 0;
        while let Some(slash) = name.get(end..).and_then(|rest| rest.find('/')) {
            end += slash;
            let parent = name.get(..end).unwrap_or_default().to_string();
            if self.directories.insert(parent.clone()) {
                self.entry(&parent, S_IFDIR | 0o755, 0, 0)?;
            }
            end += 1;
        }
        Ok(())
    }

    /// Writes one header and name, padded; the caller writes the data.
    fn entry(&mut self, name: &str, mode: u32, mtime: u32, size: u64) -> io::Result<()> {
        if size > MAX_SIZE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{name}: {size} bytes is too large for a cpio archive"),
            ));
        }
        let inode = if name == TRAILER { 0 } else { self.next_inode };
        self.next_inode = self.next_inode.wrapping_add(1);
        let nlink = if mode & S_IFMT == S_IFDIR { 2 } else { 1 };
        let fields = [
            inode,
            mode,
            0, // uid
            0, // gid
            nlink,
            mtime,
            size as u32,
            0, // devmajor
            0, // devminor
            0, // rdevmajor
            0, // rdevminor
            name.len() as u32 + 1,
            0, // check
        ];
        let mut header = String::with_capacity(110);
        header.push_str(MAGIC);
        for field in fields {
            header.push_str(&format!("{field:08x}"));
        }
        self.write(header.as_bytes())?;
        self.write(name.as_bytes())?;
        self.write(&[0])?;
        self.pad()
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.offset += bytes.len() as u64;
        Ok(())
    }

    fn pad(&mut self) -> io::Result<()> {
        let padding = (4 - (self.offset % 4) as usize) % 4;
        self.write(&[0; 3][..padding])
    }
}

/// `path` as an archive member name: absolute, normalised, without the
/// leading `/`. Refuses relative paths and `..`.
fn archive_name(path: &str) -> io::Result<String> {
    let Some(rest) = path.strip_prefix('/') else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("guest path `{path}` is not absolute"),
        ));
    };
    let mut parts = Vec::new();
    for part in rest.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("guest path `{path}` contains `..`"),
                ))
            }
            other => parts.push(other),
        }
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One decoded entry: name, mode, data.
    type Entry = (String, u32, Vec<u8>);

    /// Reads back an archive written by [`CpioWriter`], checking alignment.
    fn decode(mut bytes: &[u8]) -> Vec<Entry> {
        let total = bytes.len();
        let mut entries = Vec::new();
        loop {
            let at = total - bytes.len();
            assert_eq!(at % 4, 0, "header at {at} is not aligned");
            assert_eq!(&bytes[..6], MAGIC.as_bytes());
            let field = |i: usize| {
                let text = std::str::from_utf8(&bytes[6 + 8 * i..14 + 8 * i]).unwrap();
                u32::from_str_radix(text, 16).unwrap() as usize
            };
            let (mode, size, namesize) = (field(1) as u32, field(6), field(11));
            let name = String::from_utf8(bytes[110..110 + namesize - 1].to_vec()).unwrap();
            assert_eq!(bytes[110 + namesize - 1], 0);
            let data_start = (110 + namesize).div_ceil(4) * 4;
            let data = bytes[data_start..data_start + size].to_vec();
            bytes = &bytes[(data_start + size).div_ceil(4) * 4..];
            if name == TRAILER {
                assert!(bytes.is_empty(), "{} bytes after the trailer", bytes.len());
                return entries;
            }
            entries.push((name, mode, data));
        }
    }

    #[test]
    fn entries_round_trip_with_their_parents_first() {
        let mut writer = CpioWriter::new(Vec::new());
        writer.file("/usr/bin/tool", 0o755, b"hello").unwrap();
        writer.symlink("/bin/sh", "busybox").unwrap();
        writer.directory("/usr/share", 0o700).unwrap();
        writer.file("/usr/bin/other", 0o644, b"").unwrap();
        let bytes = writer.finish().unwrap();
        assert_eq!(bytes.len() % 4, 0);
        let entries = decode(&bytes);
        let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            names,
            [
                "usr",
                "usr/bin",
                "usr/bin/tool",
                "bin",
                "bin/sh",
                "usr/share",
                "usr/bin/other"
            ]
        );
        assert_eq!(entries[2].1, S_IFREG | 0o755);
        assert_eq!(entries[2].2, b"hello");
        assert_eq!(entries[4].1, S_IFLNK | 0o777);
        assert_eq!(entries[4].2, b"busybox");
        assert_eq!(entries[5].1, S_IFDIR | 0o700);
        assert_eq!(entries[6].2, b"");
    }

    #[test]
    fn a_short_reader_is_an_error() {
        let mut writer = CpioWriter::new(Vec::new());
        let error = writer
            .file_from("/f", 0o644, 0, 10, &b"four"[..])
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn guest_paths_must_be_absolute_and_plain() {
        assert_eq!(archive_name("//a/./b/").unwrap(), "a/b");
        assert!(archive_name("a/b").is_err());
        assert!(archive_name("/a/../b").is_err());
        let mut writer = CpioWriter::new(Vec::new());
        assert!(writer.file("relative", 0o644, b"").is_err());
    }
}
