//! heartbeat's OCF wrapper form, `OCF::TYPE::INSTANCE`: the agent TYPE
//! found under the first provider (in name order) of
//! `OCF_ROOT/resource.d/*/TYPE`, with the parameters of
//! `CONFIG_DIR/conf/OCF/TYPE/INSTANCE`.
//!
//! heartbeat's wrapper sources that file with the shell and exports every
//! variable it assigns. Here the file is read, not run: each line is a
//! comment, blank, or `[export ]OCF_RESKEY_NAME=VALUE` with VALUE a plain
//! word, `'single-quoted'` or `"double-quoted"` without expansions. What
//! the shell would expand (`$`, backquotes, backslashes), a variable that
//! is not an `OCF_RESKEY_` parameter (the agent would never see it) and
//! any other line are refused at their FILE:LINE.

use std::path::{Path, PathBuf};

use crate::class::ocf::OcfResource;
use crate::haresources::ResourceSpec;

/// The prefix of the variables an OCF agent reads its parameters from.
const PARAMETER_PREFIX: &str = "OCF_RESKEY_";

/// The OCF resource `OCF::TYPE::INSTANCE` stands for.
pub fn resolve(
    config_dir: &Path,
    ocf_root: &Path,
    spec: &ResourceSpec,
) -> Result<OcfResource, String> {
    let [agent_type, instance] = spec.args.as_slice() else {
        return Err(format!(
            "resource '{}': expected OCF::TYPE::INSTANCE, the instance's parameters \
             in {}/conf/OCF/TYPE/INSTANCE",
            spec.text,
            config_dir.display()
        ));
    };
    let plain = |part: &str| !part.is_empty() && !part.starts_with('.') && !part.contains('/');
    if !plain(agent_type) || !plain(instance) {
        return Err(format!(
            "resource '{}': TYPE and INSTANCE must be plain file names",
            spec.text
        ));
    }
    let file = config_dir.join("conf/OCF").join(agent_type).join(instance);
    let text = std::fs::read_to_string(&file).map_err(|e| {
        format!(
            "resource '{}': cannot read its parameters from {}: {e}",
            spec.text,
            file.display()
        )
    })?;
    let params = parse(&text).map_err(|(line, message)| {
        format!(
            "resource '{}': {}:{line}: {message}",
            spec.text,
            file.display()
        )
    })?;
    let provider = first_provider(ocf_root, agent_type).ok_or_else(|| {
        format!(
            "resource '{}': no OCF agent {}/resource.d/*/{agent_type}",
            spec.text,
            ocf_root.display()
        )
    })?;
    Ok(OcfResource {
        ocf_root: ocf_root.to_path_buf(),
        provider,
        agent_type: agent_type.clone(),
        params,
    })
}

/// The first provider, in name order, with an agent `agent_type` (as
/// heartbeat's `ls OCF_ROOT/resource.d/*/TYPE | head -n 1`).
fn first_provider(ocf_root: &Path, agent_type: &str) -> Option<String> {
    let mut providers: Vec<PathBuf> = std::fs::read_dir(ocf_root.join("resource.d"))
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|dir| dir.join(agent_type).exists())
        .collect();
    providers.sort();
    providers
        .first()?
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
}

/// The parameters an instance file assigns, or the first bad line's
/// number and what is wrong with it.
pub fn parse(text: &str) -> Result<Vec<(String, String)>, (usize, String)> {
    let mut params: Vec<(String, String)> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line_number = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let assignment = line.strip_prefix("export ").map_or(line, str::trim_start);
        let Some((name, rest)) = assignment.split_once('=') else {
            return Err((
                line_number,
                format!("expected OCF_RESKEY_NAME=VALUE, found '{line}'"),
            ));
        };
        let Some(param) = name.strip_prefix(PARAMETER_PREFIX) else {
            return Err((
                line_number,
                format!(
                    "'{name}' is not an OCF_RESKEY_ parameter (the agent reads only \
                     those); write {PARAMETER_PREFIX}{name}=..."
                ),
            ));
        };
        let valid_param = param.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && param.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_param {
            return Err((
                line_number,
                format!("'{name}' is not a valid variable name"),
            ));
        }
        let value = value(rest).map_err(|message| (line_number, message))?;
        if params.iter().any(|(seen, _)| seen == param) {
            return Err((line_number, format!("'{name}' is assigned twice")));
        }
        params.push((param.to_string(), value));
    }
    Ok(params)
}

/// The value of `rest` (what follows `=`), with a trailing comment.
fn value(rest: &str) -> Result<String, String> {
    let expansion = |c: char| matches!(c, '$' | '`' | '\\');
    let (value, after) = if let Some(quoted) = rest.strip_prefix('\'') {
        let (inside, after) = quoted
            .split_once('\'')
            .ok_or("a single quote is not closed")?;
        (inside, after)
    } else if let Some(quoted) = rest.strip_prefix('"') {
        let (inside, after) = quoted
            .split_once('"')
            .ok_or("a double quote is not closed")?;
        if inside.contains(expansion) {
            return Err(format!(
                "\"{inside}\" would be expanded by the shell ($, ` or \\), which is not \
                 supported; write the value itself"
            ));
        }
        (inside, after)
    } else {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (word, after) = rest.split_at(end);
        if word.contains(|c: char| expansion(c) || matches!(c, '\'' | '"' | ';' | '|' | '&')) {
            return Err(format!(
                "'{word}' is not a plain value (quotes inside it, or something the shell \
                 would expand or run); quote it whole"
            ));
        }
        (word, after)
    };
    let after = after.trim_start();
    if !after.is_empty() && !after.starts_with('#') {
        return Err(format!(
            "expected the end of the line or a comment after the value, found '{after}'"
        ));
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reads_the_assignments_heartbeats_wrapper_would_export() {
        let text = "# web address\n\
                    OCF_RESKEY_ip=10.0.0.100\n\
                    export OCF_RESKEY_cidr_netmask=24 # a comment\n\
                    \n\
                    OCF_RESKEY_nic='eth0'\n\
                    OCF_RESKEY_iflabel=\"web one\"\n";
        assert_eq!(
            parse(text),
            Ok(pairs(&[
                ("ip", "10.0.0.100"),
                ("cidr_netmask", "24"),
                ("nic", "eth0"),
                ("iflabel", "web one")
            ]))
        );
    }

    #[test]
    fn what_the_shell_would_run_or_the_agent_never_see_is_refused_at_its_line() {
        let refused = |text: &str| parse(text).expect_err(text);
        assert_eq!(refused("OCF_RESKEY_a=1\nip=10.0.0.1\n").0, 2);
        assert!(refused("ip=10.0.0.1").1.contains("write OCF_RESKEY_ip="));
        assert!(refused("OCF_RESKEY_ip=$IP").1.contains("not a plain value"));
        assert!(refused("OCF_RESKEY_ip=\"$IP\"").1.contains("expanded"));
        assert!(refused("OCF_RESKEY_ip=`hostname`")
            .1
            .contains("not a plain value"));
        assert!(refused("OCF_RESKEY_ip='10.0.0.1").1.contains("not closed"));
        assert!(refused("OCF_RESKEY_ip=1 2").1.contains("found '2'"));
        assert!(refused("OCF_RESKEY_ip=1\nOCF_RESKEY_ip=2")
            .1
            .contains("twice"));
        assert!(refused("echo hi")
            .1
            .contains("expected OCF_RESKEY_NAME=VALUE"));
    }
}
