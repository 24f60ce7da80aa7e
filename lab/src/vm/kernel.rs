//! The kernel image: Debian ships a compressed bzImage; QEMU boots an
//! uncompressed `vmlinux` (an ELF file with a PVH entry point) about twice
//! as fast under TCG, so the XZ payload is cut out of the bzImage using
//! its boot-protocol header and decompressed once.

use ha_process::Command;
use std::fs::File;
use std::path::Path;

use crate::command::run;
use crate::LabError;

/// Where the boot-protocol header says "HdrS".
const HEADER_MAGIC_AT: usize = 0x202;
const HEADER_MAGIC: &[u8] = b"HdrS";
/// The boot-protocol version (u16); payload fields exist from 2.08.
const VERSION_AT: usize = 0x206;
const MIN_VERSION: u16 = 0x0208;
/// Number of 512-byte setup sectors after the boot sector (0 means 4).
const SETUP_SECTS_AT: usize = 0x1f1;
/// Offset and length of the compressed payload, from the start of the
/// protected-mode code.
const PAYLOAD_OFFSET_AT: usize = 0x248;
const PAYLOAD_LENGTH_AT: usize = 0x24c;
/// Start of an XZ stream.
const XZ_MAGIC: &[u8] = &[0xfd, b'7', b'z', b'X', b'Z', 0x00];
/// Start of an ELF file.
const ELF_MAGIC: &[u8] = b"\x7fELF";

/// The XZ-compressed kernel inside `bzimage`, or why it cannot be found.
pub(crate) fn xz_payload(bzimage: &[u8]) -> Result<&[u8], String> {
    if bzimage.get(HEADER_MAGIC_AT..HEADER_MAGIC_AT + 4) != Some(HEADER_MAGIC) {
        return Err("not a bzImage (no HdrS header)".to_string());
    }
    let version = read_u16(bzimage, VERSION_AT)?;
    if version < MIN_VERSION {
        return Err(format!(
            "boot protocol {}.{:02} has no payload fields",
            version >> 8,
            version & 0xff
        ));
    }
    let setup_sects = match bzimage.get(SETUP_SECTS_AT) {
        Some(0) => 4,
        Some(&n) => usize::from(n),
        None => return Err("truncated header".to_string()),
    };
    let code_start = (setup_sects + 1) * 512;
    let offset = read_u32(bzimage, PAYLOAD_OFFSET_AT)? as usize;
    let length = read_u32(bzimage, PAYLOAD_LENGTH_AT)? as usize;
    let start = code_start + offset;
    let payload = bzimage
        .get(start..start + length)
        .ok_or_else(|| format!("payload {start}+{length} lies beyond the file's end"))?;
    if !payload.starts_with(XZ_MAGIC) {
        return Err("the payload is not XZ-compressed".to_string());
    }
    Ok(payload)
}

/// Writes the uncompressed kernel of `bzimage` to `vmlinux`, using the
/// `xz` program `xz` (run with `lib_path` as its `LD_LIBRARY_PATH`).
pub(crate) fn extract_vmlinux(
    bzimage: &Path,
    vmlinux: &Path,
    xz: &Path,
    lib_path: &str,
) -> Result<(), LabError> {
    let fail = |detail: String| LabError::Vm {
        what: format!("extract vmlinux from {}", bzimage.display()),
        detail,
    };
    let image = std::fs::read(bzimage).map_err(|e| fail(e.to_string()))?;
    let payload = xz_payload(&image).map_err(fail)?;
    // xz decompresses FILE.xz into FILE, replacing the compressed copy.
    let compressed = vmlinux.with_extension("xz");
    std::fs::write(&compressed, payload).map_err(|e| fail(e.to_string()))?;
    // The kernel's build appends the uncompressed size after the stream.
    let mut cmd = Command::new(xz);
    cmd.args(["-d", "-f", "--single-stream"])
        .arg(&compressed)
        .env("LD_LIBRARY_PATH", lib_path);
    let decompressed = run(&mut cmd);
    if let Err(error) = decompressed {
        let _ = std::fs::remove_file(&compressed);
        return Err(fail(error.to_string()));
    }
    let mut magic = [0u8; 4];
    let read = std::io::Read::read_exact(
        &mut File::open(vmlinux).map_err(|e| fail(e.to_string()))?,
        &mut magic,
    );
    if read.is_err() || magic != ELF_MAGIC {
        return Err(fail(
            "the decompressed kernel is not an ELF file".to_string(),
        ));
    }
    Ok(())
}

fn read_u16(bytes: &[u8], at: usize) -> Result<u16, String> {
    bytes
        .get(at..at + 2)
        .and_then(|b| b.try_into().ok())
        .map(u16::from_le_bytes)
        .ok_or_else(|| "truncated header".to_string())
}

fn read_u32(bytes: &[u8], at: usize) -> Result<u32, String> {
    bytes
        .get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or_else(|| "truncated header".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake bzImage with `setup_sects` and an XZ-looking payload.
    fn image(setup_sects: u8, version: u16, payload: &[u8]) -> Vec<u8> {
        let code_start = (usize::from(if setup_sects == 0 { 4 } else { setup_sects }) + 1) * 512;
        let offset = 100usize;
        let mut bytes = vec![0u8; code_start + offset];
        bytes[SETUP_SECTS_AT] = setup_sects;
        bytes[HEADER_MAGIC_AT..HEADER_MAGIC_AT + 4].copy_from_slice(HEADER_MAGIC);
        bytes[VERSION_AT..VERSION_AT + 2].copy_from_slice(&version.to_le_bytes());
        bytes[PAYLOAD_OFFSET_AT..PAYLOAD_OFFSET_AT + 4]
            .copy_from_slice(&(offset as u32).to_le_bytes());
        bytes[PAYLOAD_LENGTH_AT..PAYLOAD_LENGTH_AT + 4]
            .copy_from_slice(&(payload.len() as u32).to_le_bytes());
        bytes.extend_from_slice(payload);
        bytes.extend_from_slice(b"trailing");
        bytes
    }

    #[test]
    fn the_payload_is_found_through_the_header() {
        let payload = [XZ_MAGIC, b"compressed kernel"].concat();
        for sects in [0, 27, 39] {
            let bytes = image(sects, 0x020f, &payload);
            assert_eq!(
                xz_payload(&bytes).unwrap(),
                &payload[..],
                "setup_sects {sects}"
            );
        }
    }

    #[test]
    fn bad_images_are_refused_with_a_reason() {
        let payload = [XZ_MAGIC, b"k"].concat();
        assert!(xz_payload(b"short").unwrap_err().contains("HdrS"));
        assert!(xz_payload(&image(4, 0x0206, &payload))
            .unwrap_err()
            .contains("2.06"));
        assert!(xz_payload(&image(4, 0x020f, b"gzip stuff"))
            .unwrap_err()
            .contains("not XZ"));
        let mut truncated = image(4, 0x020f, &payload);
        truncated.truncate(truncated.len() - 12);
        assert!(xz_payload(&truncated).unwrap_err().contains("beyond"));
    }
}
