//! Manual pages and shell completions made from a binary's command-line
//! definition, so that the clap definition stays their one source: a page
//! in section 8 (system administration) for the command and one for each
//! subcommand (`ha-node-run.8`…), and bash and zsh completions (which,
//! as clap_complete writes them, offer hidden subcommands too). Each
//! binary writes them with a hidden `generate-docs` subcommand; the
//! project keeps the result under `dist/` and a test checks it is current.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use clap_complete::Shell;

/// The manual section of every page: the binaries are daemons and their
/// administration commands.
pub const SECTION: &str = "8";

/// The manual's name in each page's header.
pub const MANUAL: &str = "heartbeat-rs";

/// Writes `DIR/man/man8/NAME.8` (a `MANPATH` directory's layout) for
/// `command` and every visible subcommand
/// (nested ones included), `DIR/completions/NAME.bash` and
/// `DIR/completions/_NAME` (zsh); returns the files written, pages first.
pub fn write(command: clap::Command, dir: &Path) -> io::Result<Vec<PathBuf>> {
    let man = dir.join("man").join(format!("man{SECTION}"));
    let completions = dir.join("completions");
    fs::create_dir_all(&man)?;
    fs::create_dir_all(&completions)?;
    let mut command = command.disable_help_subcommand(true);
    command.build();
    let mut written = Vec::new();
    let name = command.get_name().to_string();
    // Every page's footer names the program and its version. The date's
    // place holds the version too: a page must not change with the day it
    // is generated, and an empty date would shift the header's fields.
    let version = command.get_version().unwrap_or_default().to_string();
    let header = Header {
        date: format!("version {version}"),
        source: format!("{name} {version}"),
    };
    write_pages(command.clone(), &header, &man, &mut written)?;
    for (shell, file) in [
        (Shell::Bash, format!("{name}.bash")),
        (Shell::Zsh, format!("_{name}")),
    ] {
        let mut text = Vec::new();
        clap_complete::generate(shell, &mut command, &name, &mut text);
        let path = completions.join(file);
        fs::write(&path, text)?;
        written.push(path);
    }
    Ok(written)
}

/// The fields of every page's header and footer besides its title.
struct Header {
    date: String,
    source: String,
}

/// The page of `command`, then those of its visible subcommands.
fn write_pages(
    command: clap::Command,
    header: &Header,
    dir: &Path,
    written: &mut Vec<PathBuf>,
) -> io::Result<()> {
    let page = clap_mangen::Man::new(command.clone())
        .section(SECTION)
        .date(&header.date)
        .source(&header.source)
        .manual(MANUAL);
    let path = dir.join(page.get_filename());
    let mut text = Vec::new();
    page.render(&mut text)?;
    fs::write(&path, text)?;
    written.push(path);
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub.clone(), header, dir, written)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command() -> clap::Command {
        clap::Command::new("demo-daemon")
            .version("1.2.3")
            .about("A demonstration daemon")
            .subcommand(
                clap::Command::new("run")
                    .about("Runs it")
                    .arg(clap::Arg::new("config").long("config").help("Its file")),
            )
            .subcommand(clap::Command::new("secret").hide(true))
            .subcommand(
                clap::Command::new("resource")
                    .about("Acts on a resource")
                    .subcommand(clap::Command::new("cleanup").about("Clears it")),
            )
    }

    #[test]
    fn every_visible_command_gets_a_page_and_both_shells_a_completion() {
        let dir = std::env::temp_dir().join(format!("ha-daemon-docs-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let written = write(command(), &dir).unwrap();
        let names: Vec<String> = written
            .iter()
            .map(|p| p.strip_prefix(&dir).unwrap().display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "man/man8/demo-daemon.8",
                "man/man8/demo-daemon-run.8",
                "man/man8/demo-daemon-resource.8",
                "man/man8/demo-daemon-resource-cleanup.8",
                "completions/demo-daemon.bash",
                "completions/_demo-daemon",
            ]
        );
        let run = fs::read_to_string(dir.join("man/man8/demo-daemon-run.8")).unwrap();
        assert!(
            run.contains(
                ".TH demo-daemon-run 8 \"version 1.2.3\" \"demo-daemon 1.2.3\" heartbeat-rs"
            ),
            "{run}"
        );
        assert!(run.contains("\\-\\-config"), "{run}");
        let bash = fs::read_to_string(dir.join("completions/demo-daemon.bash")).unwrap();
        assert!(bash.contains("opts=\"-h --help cleanup\""), "{bash}");
        let zsh = fs::read_to_string(dir.join("completions/_demo-daemon")).unwrap();
        assert!(zsh.starts_with("#compdef demo-daemon"), "{zsh}");
        assert!(zsh.contains("'cleanup:Clears it'"), "{zsh}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
