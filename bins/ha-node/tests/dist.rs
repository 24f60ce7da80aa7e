//! What the project ships for ha-node under `dist/`: the manual pages and
//! completions `ha-node generate-docs` writes are the committed ones (run
//! `ha-node generate-docs --out dist` after changing the command line);
//! every page, generated or hand-written (`man5`), renders without a
//! warning; `dist/systemd/ha-node.service` passes `systemd-analyze verify`.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use ha_lab::dist;

const BINARY: &str = env!("CARGO_BIN_EXE_ha-node");

fn dist_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dist")
}

fn scratch(what: &str) -> PathBuf {
    std::env::temp_dir().join(format!("ha-node-dist-{what}-{}", std::process::id()))
}

#[test]
fn the_committed_pages_and_completions_are_what_the_command_line_generates() {
    let scratch = scratch("docs");
    let stale = dist::stale_docs(Path::new(BINARY), "ha-node", &dist_dir(), &scratch).unwrap();
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(
        stale.is_empty(),
        "run `ha-node generate-docs --out dist`:\n{}",
        stale.join("\n")
    );
}

#[test]
fn every_page_renders_and_names_its_subject() {
    let man = dist_dir().join("man");
    let mut pages: Vec<PathBuf> = ["man8", "man5"]
        .iter()
        .flat_map(|section| std::fs::read_dir(man.join(section)).unwrap())
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .and_then(|f| f.to_str())
                .is_some_and(|f| f.starts_with("ha-node"))
        })
        .collect();
    pages.sort();
    assert!(pages.len() >= 12, "{pages:?}");
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
    let run = dist::render_page(&man.join("man8/ha-node-run.8")).unwrap();
    assert!(run.contains("--failed-stop-command"), "{run}");
    let monitoring = dist::render_page(&man.join("man5/ha-node-monitoring.5")).unwrap();
    assert!(
        monitoring.contains("migration-threshold=COUNT"),
        "{monitoring}"
    );
}

#[test]
fn the_unit_passes_systemd_analyze_verify() {
    let unit = dist_dir().join("systemd/ha-node.service");
    match dist::verify_unit(
        &unit,
        "/usr/sbin/ha-node",
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
        "KillMode=process",
    ] {
        assert!(text.lines().any(|l| l.starts_with(line)), "{line}\n{text}");
    }
}
