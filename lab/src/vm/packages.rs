//! Which Debian packages the VM's programs need, derived from the package
//! metadata rather than kept by hand.
//!
//! Two sets are computed:
//!
//! - the **base**: the packages every Debian machine has — those marked
//!   `Essential: yes` and, recursively, what they depend on — read from
//!   the machine's own dpkg database. Programs fetched into the cache may
//!   rely on these libraries being on the host; on nothing else.
//! - the **closure** of a list of root packages: each root and, recursively,
//!   its `Depends` and `Pre-Depends` (read with `apt-cache depends`, level by
//!   level), skipping whatever the base satisfies. For an alternative
//!   (`a | b`) the first choice is taken unless another one is already in
//!   the base or the closure; a virtual package is satisfied by its first
//!   provider.
//!
//! Whatever the machine happens to have installed beyond the base plays no
//! part, so the development machine fetches what a fresh one does.

use std::collections::{BTreeMap, BTreeSet};

/// One alternative of a dependency: a package name, or a virtual package
/// with the real packages that provide it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Alternative {
    /// The name as the dependency spells it (without `<>` and arch).
    pub(crate) name: String,
    /// For a virtual package, its providers; empty for a real one.
    pub(crate) providers: Vec<String>,
}

/// One dependency: any of its alternatives satisfies it.
pub(crate) type Dependency = Vec<Alternative>;

/// Options that make `apt-cache depends` list only hard dependencies.
pub(crate) const APT_CACHE_HARD_ONLY: &[&str] = &[
    "--no-recommends",
    "--no-suggests",
    "--no-conflicts",
    "--no-breaks",
    "--no-replaces",
    "--no-enhances",
];

/// A package name without an architecture qualifier (`libc6:any`).
fn bare(name: &str) -> &str {
    name.split(':').next().unwrap_or(name)
}

/// Parses `apt-cache depends` output: each package with its hard
/// dependencies (`Depends`, `PreDepends`), in order.
///
/// The format: a package name at column 0; `  Depends: NAME` lines, where a
/// leading `|` instead of the first space joins the line to the next as an
/// alternative; a virtual package is written `<NAME>` and followed by its
/// providers, indented by four spaces.
pub(crate) fn parse_apt_depends(output: &str) -> BTreeMap<String, Vec<Dependency>> {
    let mut packages: BTreeMap<String, Vec<Dependency>> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut open_group: Option<Dependency> = None;
    let mut continues = false;
    for line in output.lines() {
        if line.is_empty() {
            continue;
        }
        if !line.starts_with(' ') && !line.starts_with('|') {
            if let (Some(package), Some(group)) = (&current, open_group.take()) {
                packages.entry(package.clone()).or_default().push(group);
            }
            let name = line.trim().trim_start_matches('<').trim_end_matches('>');
            current = Some(bare(name).to_string());
            packages.entry(bare(name).to_string()).or_default();
            continues = false;
            continue;
        }
        let Some(package) = &current else { continue };
        let trimmed = line.trim_start_matches([' ', '|']);
        if let Some((kind, name)) = trimmed.split_once(": ") {
            let hard = kind == "Depends" || kind == "PreDepends";
            // A line closes the open group unless the previous line said
            // `|` (this one is its alternative).
            if !continues {
                if let Some(group) = open_group.take() {
                    packages.entry(package.clone()).or_default().push(group);
                }
            }
            continues = line.starts_with(" |") || line.starts_with('|');
            if !hard {
                continue;
            }
            let name = name.trim();
            let alternative = Alternative {
                name: bare(name.trim_start_matches('<').trim_end_matches('>')).to_string(),
                providers: Vec::new(),
            };
            open_group.get_or_insert_with(Vec::new).push(alternative);
        } else if let Some(alternative) = open_group.as_mut().and_then(|g| g.last_mut()) {
            // A provider of the virtual package just named.
            alternative.providers.push(bare(trimmed.trim()).to_string());
        }
    }
    if let (Some(package), Some(group)) = (current, open_group) {
        packages.entry(package).or_default().push(group);
    }
    packages
}

/// An installed package as dpkg records it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Installed {
    essential: bool,
    depends: Vec<Vec<String>>,
    provides: Vec<String>,
}

/// The format [`parse_dpkg_status`] reads, for `dpkg-query -W -f`.
pub(crate) const DPKG_QUERY_FORMAT: &str =
    "${Package}\\t${Essential}\\t${Pre-Depends}, ${Depends}\\t${Provides}\\t${db:Status-Abbrev}\\n";

/// Splits a dependency field (`a (>= 1) | b, c:any`) into groups of
/// alternative names.
fn dependency_field(field: &str) -> Vec<Vec<String>> {
    field
        .split(',')
        .map(|group| {
            group
                .split('|')
                .filter_map(|alternative| {
                    let name = alternative.split_whitespace().next()?;
                    Some(bare(name).to_string())
                })
                .collect::<Vec<_>>()
        })
        .filter(|group| !group.is_empty())
        .collect()
}

/// Parses `dpkg-query -W -f DPKG_QUERY_FORMAT` output, keeping installed
/// packages only.
pub(crate) fn parse_dpkg_status(output: &str) -> BTreeMap<String, Installed> {
    output
        .lines()
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let name = fields.next()?.trim();
            let essential = fields.next()?.trim() == "yes";
            let depends = dependency_field(fields.next()?);
            let provides = dependency_field(fields.next()?)
                .into_iter()
                .flatten()
                .collect();
            let status = fields.next()?.trim();
            (status.starts_with("ii") && !name.is_empty()).then(|| {
                (
                    name.to_string(),
                    Installed {
                        essential,
                        depends,
                        provides,
                    },
                )
            })
        })
        .collect()
}

/// The base: essential packages and what they depend on, through the
/// installed packages (and the virtual names those provide).
pub(crate) fn base_set(installed: &BTreeMap<String, Installed>) -> BTreeSet<String> {
    let mut providers: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (name, package) in installed {
        for provided in &package.provides {
            providers.entry(provided).or_default().push(name);
        }
    }
    let mut base = BTreeSet::new();
    let mut queue: Vec<&str> = installed
        .iter()
        .filter(|(_, p)| p.essential)
        .map(|(name, _)| name.as_str())
        .collect();
    while let Some(name) = queue.pop() {
        if !base.insert(name.to_string()) {
            continue;
        }
        let Some(package) = installed.get(name) else {
            continue;
        };
        for provided in &package.provides {
            base.insert(provided.clone());
        }
        for group in &package.depends {
            // Every installed alternative is part of the machine; follow the
            // first one that is installed, directly or as a provider.
            let chosen = group.iter().find_map(|alternative| {
                if installed.contains_key(alternative) {
                    Some(alternative.as_str())
                } else {
                    providers
                        .get(alternative.as_str())
                        .and_then(|p| p.first().copied())
                }
            });
            if let Some(chosen) = chosen {
                queue.push(chosen);
            }
        }
    }
    base
}

/// The closure of `roots` outside `base`, asking `depends_of` (which runs
/// `apt-cache depends` on a batch of names) one level at a time. Returns the
/// packages in the order they were chosen, roots first.
pub(crate) fn closure<E>(
    roots: &[&str],
    base: &BTreeSet<String>,
    mut depends_of: impl FnMut(&[String]) -> Result<BTreeMap<String, Vec<Dependency>>, E>,
) -> Result<Vec<String>, E> {
    let mut chosen: Vec<String> = Vec::new();
    let mut level: Vec<String> = Vec::new();
    for root in roots {
        if !chosen.iter().any(|c| c == root) {
            chosen.push(root.to_string());
            level.push(root.to_string());
        }
    }
    while !level.is_empty() {
        let depends = depends_of(&level)?;
        let mut next = Vec::new();
        for package in &level {
            for group in depends.get(package).into_iter().flatten() {
                let have = |name: &str| base.contains(name) || chosen.iter().any(|c| c == name);
                let satisfied = group
                    .iter()
                    .any(|a| have(&a.name) || a.providers.iter().any(|p| have(p)));
                if satisfied {
                    continue;
                }
                let pick = group.iter().find_map(|a| {
                    if a.providers.is_empty() {
                        Some(a.name.clone())
                    } else {
                        a.providers.first().cloned()
                    }
                });
                if let Some(pick) = pick {
                    chosen.push(pick.clone());
                    next.push(pick);
                }
            }
        }
        level = next;
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    const APT_DEPENDS: &str = "\
qemu-system-x86
  Depends: libc6
 |Depends: libsystemd0
  Depends: libelogind0
  Depends: <debconf-2.0>
    cdebconf
    debconf
  PreDepends: libzstd1
  Recommends: ovmf
libnl-route-3-200
  Depends: libnl-3-200
";

    fn real(name: &str) -> Alternative {
        Alternative {
            name: name.to_string(),
            providers: Vec::new(),
        }
    }

    #[test]
    fn apt_depends_output_gives_groups_of_alternatives() {
        let parsed = parse_apt_depends(APT_DEPENDS);
        let qemu = &parsed["qemu-system-x86"];
        assert_eq!(qemu.len(), 4, "{qemu:?}");
        assert_eq!(qemu[0], vec![real("libc6")]);
        assert_eq!(qemu[1], vec![real("libsystemd0"), real("libelogind0")]);
        assert_eq!(
            qemu[2],
            vec![Alternative {
                name: "debconf-2.0".to_string(),
                providers: vec!["cdebconf".to_string(), "debconf".to_string()],
            }]
        );
        assert_eq!(qemu[3], vec![real("libzstd1")]);
        assert_eq!(parsed["libnl-route-3-200"], vec![vec![real("libnl-3-200")]]);
    }

    #[test]
    fn dpkg_status_keeps_installed_packages_and_their_fields() {
        let output = "libc6\tno\t, libgcc-s1\t\tii \n\
                      dpkg\tyes\tlibc6 (>= 2.34), tar (>= 1.28-1) | foo\t\tii \n\
                      gone\tyes\t, libc6\t\trc \n\
                      debconf\tno\t, perl-base\tdebconf-2.0\tii \n";
        let status = parse_dpkg_status(output);
        assert_eq!(
            status.keys().collect::<Vec<_>>(),
            ["debconf", "dpkg", "libc6"]
        );
        assert!(status["dpkg"].essential);
        assert_eq!(
            status["dpkg"].depends,
            vec![
                vec!["libc6".to_string()],
                vec!["tar".to_string(), "foo".to_string()]
            ]
        );
        assert_eq!(status["debconf"].provides, vec!["debconf-2.0".to_string()]);
    }

    #[test]
    fn the_base_is_the_essential_packages_and_their_dependencies() {
        let output = "dpkg\tyes\t, libc6, tar | star\t\tii \n\
                      libc6\tno\t, libgcc-s1\t\tii \n\
                      libgcc-s1\tno\t, \t\tii \n\
                      tar\tno\t, \t\tii \n\
                      adduser\tno\t, passwd, debconf-2.0\t\tii \n\
                      debconf\tno\t, \tdebconf-2.0\tii \n\
                      libnl-route-3-200\tno\t, libc6\t\tii \n";
        let base = base_set(&parse_dpkg_status(output));
        let names: Vec<&str> = base.iter().map(String::as_str).collect();
        // Installed, but neither essential nor needed by an essential package.
        assert_eq!(names, ["dpkg", "libc6", "libgcc-s1", "tar"]);
    }

    #[test]
    fn the_closure_skips_the_base_and_picks_one_alternative() {
        let base: BTreeSet<String> = ["libc6", "libzstd1"].map(String::from).into();
        let mut asked = Vec::new();
        let chosen = closure(&["qemu-system-x86"], &base, |names| {
            asked.push(names.to_vec());
            Ok::<_, ()>(parse_apt_depends(APT_DEPENDS))
        })
        .expect("closure");
        // libsystemd0 is the first choice of its group; debconf-2.0 is
        // virtual, satisfied by its first provider; libelogind0 is not
        // taken since libsystemd0 already satisfies that group.
        assert_eq!(chosen, ["qemu-system-x86", "libsystemd0", "cdebconf"]);
        assert_eq!(
            asked,
            vec![
                vec!["qemu-system-x86".to_string()],
                vec!["libsystemd0".to_string(), "cdebconf".to_string()]
            ]
        );
    }

    #[test]
    fn a_dependency_in_the_base_is_not_fetched() {
        let base: BTreeSet<String> = ["libc6", "libzstd1", "libsystemd0", "debconf-2.0"]
            .map(String::from)
            .into();
        let chosen = closure(&["qemu-system-x86", "libnl-route-3-200"], &base, |_| {
            Ok::<_, ()>(parse_apt_depends(APT_DEPENDS))
        })
        .expect("closure");
        assert_eq!(
            chosen,
            ["qemu-system-x86", "libnl-route-3-200", "libnl-3-200"]
        );
    }
}
