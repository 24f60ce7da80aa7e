//! What the project ships for lvs-director under `dist/`: the manual pages and
//! completions `lvs-director generate-docs` writes are the committed ones (run
//! `lvs-director generate-docs --out dist` after changing the command line);
//! every page renders without a warning; `dist/systemd/lvs-director.service` passes `systemd-analyze verify`.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use ha_lab::dist;

const BINARY: &str = env!("CARGO_BIN_EXE_lvs-director");

/// In the IPVS VM (where the suite runs every test of this package), the
/// workspace's `dist/` and the manual and systemd tools are not there: the
/// host's run checks them.
fn in_the_vm() -> bool {
    let inside = std::env::var_os("HA_VM").is_some();
    if inside {
        eprintln!("in the IPVS VM: dist/ is checked by the host's run");
    }
    inside
}

fn dist_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dist")
}

fn scratch(what: &str) -> PathBuf {
    std::env::temp_dir().join(format!("lvs-director-dist-{what}-{}", std::process::id()))
}

#[test]
fn the_committed_pages_and_completions_are_what_the_command_line_generates() {
    if in_the_vm() {
        return;
    }
    let scratch = scratch("docs");
    let stale = dist::stale_docs(Path::new(BINARY), "lvs-director", &dist_dir(), &scratch).unwrap();
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(
        stale.is_empty(),
        "run `lvs-director generate-docs --out dist`:\n{}",
        stale.join("\n")
    );
}

#[test]
fn every_page_renders_and_names_its_subject() {
    if in_the_vm() {
        return;
    }
    let man = dist_dir().join("man");
    let mut pages: Vec<PathBuf> = ["man8"]
        .iter()
        .flat_map(|section| std::fs::read_dir(man.join(section)).unwrap())
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .and_then(|f| f.to_str())
                .is_some_and(|f| f.starts_with("lvs-director"))
        })
        .collect();
    pages.sort();
    assert!(pages.len() >= 7, "{pages:?}");
    for page in &pages {
        let text = dist::render_page(page).unwrap_or_else(|e| panic!("{e}"));
        let stem = page.file_stem().unwrap().to_str().unwrap();
        assert!(text.contains("NAME"), "{}:\n{text}", page.display());
        assert!(
            text.lines().next().is_some_and(|l| l.starts_with(stem)),
            "{}:\n{text}",
            page.display()
        );
    }
    let run = dist::render_page(&man.join("man8/lvs-director-run.8")).unwrap();
    assert!(run.contains("--pid-file"), "{run}");
}

#[test]
fn the_unit_passes_systemd_analyze_verify() {
    if in_the_vm() {
        return;
    }
    let unit = dist_dir().join("systemd/lvs-director.service");
    match dist::verify_unit(
        &unit,
        "/usr/sbin/lvs-director",
        Path::new(BINARY),
        &dist_dir().join("man"),
        &scratch("unit"),
    ) {
        Ok(Some(())) => {}
        Ok(None) => eprintln!("systemd-analyze is not installed: the unit is not verified"),
        Err(said) => panic!("{said}"),
    }
    let _ = std::fs::remove_dir_all(scratch("unit"));
    let text = std::fs::read_to_string(&unit).unwrap();
    for line in [
        "Type=notify",
        "After=network-online.target",
        "WatchdogSec=",
        "Restart=on-failure",
        "ExecReload=/bin/kill -HUP $MAINPID",
    ] {
        assert!(text.lines().any(|l| l.starts_with(line)), "{line}\n{text}");
    }
}
