//! The `ocf:heartbeat:TYPE::name=value…` form of a native resource: the
//! parameters read, served natively only when each is one the native agent
//! knows (any other leaves the resource to resource-agents' own agent).

/// The `name=value` arguments of `agent`, each of `known`: `None` when one
/// is not `name=value` or not known (the OCF agent runs instead),
/// `Some(Err)` when a parameter is given twice.
pub(crate) fn read<'a>(
    agent: &str,
    args: &'a [String],
    known: &[&str],
) -> Option<Result<Params<'a>, String>> {
    let mut params = Vec::new();
    for arg in args {
        let (name, value) = arg.split_once('=')?;
        if !known.contains(&name) {
            return None;
        }
        if params.iter().any(|(seen, _)| *seen == name) {
            return Some(Err(format!(
                "ocf:heartbeat:{agent}: parameter '{name}' is given twice"
            )));
        }
        params.push((name, value));
    }
    Some(Ok(Params(params)))
}

/// Parameters read by [`read`], each name once.
pub(crate) struct Params<'a>(Vec<(&'a str, &'a str)>);

impl<'a> Params<'a> {
    /// The value of `name`, if given.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }
}

/// resource-agents' `ocf_is_true`: yes, true, 1, on (any case) are true.
pub(crate) fn is_true(value: &str) -> bool {
    ["yes", "true", "1", "on"]
        .iter()
        .any(|word| word.eq_ignore_ascii_case(value))
}

/// Whether `name` can be an interface name: 1-15 printable characters,
/// no '/', ':' or blank, not `.` or `..`.
pub(crate) fn valid_interface_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= super::MAX_INTERFACE_NAME
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_graphic() && c != '/' && c != ':')
}
