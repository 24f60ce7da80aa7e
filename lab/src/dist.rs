//! Checks of what the project ships under `dist/` for a binary: its
//! manual pages and completions are what the binary's `generate-docs`
//! writes today (so the committed copies are current), every page renders
//! without a warning, and its systemd unit passes `systemd-analyze verify`
//! with the binary where the unit runs it and the manual pages the unit
//! cites in `MANPATH`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ha_process::{Command, Output};

use crate::LabError;

/// A program's run: whether it exited 0, its stdout and stderr.
struct Ran {
    success: bool,
    stdout: String,
    stderr: String,
}

/// Runs `cmd` to completion with both streams captured.
fn run(cmd: &mut Command) -> Result<Ran, LabError> {
    let tag = cmd.get_program().to_string_lossy().into_owned();
    cmd.stdout(Output::Capture)
        .stderr(Output::Capture)
        .tag(tag)
        .log_level(log::Level::Debug)
        .keep_lines(0);
    let outcome = cmd.run_blocking()?;
    Ok(Ran {
        success: outcome.success(),
        stdout: String::from_utf8_lossy(&outcome.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&outcome.stderr).into_owned(),
    })
}

/// Every file under `dir`, by its path relative to `dir`.
fn files_under(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, files: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, files);
            } else if let (Ok(relative), Ok(bytes)) =
                (path.strip_prefix(root), std::fs::read(&path))
            {
                files.insert(relative.to_path_buf(), bytes);
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(dir, dir, &mut files);
    files
}

/// Whether `relative` (under `dist/`) is one of `name`'s generated files:
/// `man/man8/NAME.8`, `man/man8/NAME-*.8`, `completions/NAME.bash`,
/// `completions/_NAME`.
fn generated_by(relative: &Path, name: &str) -> bool {
    let Some(file) = relative.file_name().and_then(|f| f.to_str()) else {
        return false;
    };
    match relative.parent().and_then(|p| p.to_str()) {
        Some("man/man8") => {
            file == format!("{name}.8")
                || (file.starts_with(&format!("{name}-")) && file.ends_with(".8"))
        }
        Some("completions") => file == format!("{name}.bash") || file == format!("_{name}"),
        _ => false,
    }
}

/// Runs `binary generate-docs` into `scratch` and compares what it writes
/// with `dist`'s files of that binary (named `name`): the differences, one
/// line each (empty when current). `scratch` is replaced.
pub fn stale_docs(
    binary: &Path,
    name: &str,
    dist: &Path,
    scratch: &Path,
) -> Result<Vec<String>, LabError> {
    let _ = std::fs::remove_dir_all(scratch);
    let ran = run(Command::new(binary)
        .arg("generate-docs")
        .arg("--out")
        .arg(scratch))?;
    if !ran.success {
        return Err(LabError::InvalidArgument {
            what: format!("{} generate-docs", binary.display()),
            reason: ran.stderr,
        });
    }
    let fresh = files_under(scratch);
    let committed: BTreeMap<PathBuf, Vec<u8>> = files_under(dist)
        .into_iter()
        .filter(|(path, _)| generated_by(path, name))
        .collect();
    let mut stale = Vec::new();
    for (path, bytes) in &fresh {
        match committed.get(path) {
            None => stale.push(format!("dist/{} is missing", path.display())),
            Some(old) if old != bytes => stale.push(format!("dist/{} differs", path.display())),
            Some(_) => {}
        }
    }
    for path in committed.keys().filter(|p| !fresh.contains_key(*p)) {
        stale.push(format!("dist/{} is no longer generated", path.display()));
    }
    Ok(stale)
}

/// Renders `page` with `man -l` (groff underneath, every warning on) and
/// returns its text, or what groff or man complained of.
pub fn render_page(page: &Path) -> Result<String, String> {
    let mut cmd = Command::new("man");
    cmd.arg("-l")
        .arg(page)
        .env("MANWIDTH", "80")
        .env("MANROFFOPT", "-ww")
        .env("LC_ALL", "C.UTF-8");
    let ran = run(&mut cmd).map_err(|e| e.to_string())?;
    if !ran.success || !ran.stderr.trim().is_empty() || ran.stdout.trim().is_empty() {
        return Err(format!(
            "man -l {}: {}\n{}",
            page.display(),
            if ran.success { "warnings" } else { "failed" },
            ran.stderr
        ));
    }
    Ok(ran.stdout)
}

/// `systemd-analyze verify` on `unit` as installed with its `ExecStart=`
/// program `installed` replaced by `binary`, with `man_dir` in
/// `MANPATH` (verify checks each `Documentation=man:` page): `Ok` with
/// nothing to say, `Err` with what it said. `None` when systemd-analyze is
/// not installed.
pub fn verify_unit(
    unit: &Path,
    installed: &str,
    binary: &Path,
    man_dir: &Path,
    scratch: &Path,
) -> Result<Option<()>, String> {
    if !crate::command::in_path("systemd-analyze") {
        return Ok(None);
    }
    let text = std::fs::read_to_string(unit).map_err(|e| format!("{}: {e}", unit.display()))?;
    if !text.contains(installed) {
        return Err(format!("{} does not run {installed}", unit.display()));
    }
    std::fs::create_dir_all(scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let file_name = unit.file_name().unwrap_or_default();
    let copy = scratch.join(file_name);
    std::fs::write(
        &copy,
        text.replace(installed, &binary.display().to_string()),
    )
    .map_err(|e| format!("{}: {e}", copy.display()))?;
    let ran = run(Command::new("systemd-analyze")
        .arg("verify")
        .arg(&copy)
        .env("MANPATH", man_dir))
    .map_err(|e| e.to_string())?;
    let said = format!("{}{}", ran.stdout, ran.stderr);
    if ran.success && said.trim().is_empty() {
        Ok(Some(()))
    } else {
        Err(format!(
            "systemd-analyze verify {}:\n{said}",
            unit.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binary_owns_its_pages_and_completions_only() {
        for (path, owned) in [
            ("man/man8/ha-node.8", true),
            ("man/man8/ha-node-run.8", true),
            ("man/man8/ha-node-monitoring.5", false),
            ("man/man5/ha-node-monitoring.5", false),
            ("man/man8/lvs-director-run.8", false),
            ("completions/ha-node.bash", true),
            ("completions/_ha-node", true),
            ("completions/_lvs-director", false),
            ("systemd/ha-node.service", false),
        ] {
            assert_eq!(generated_by(Path::new(path), "ha-node"), owned, "{path}");
        }
    }
}
