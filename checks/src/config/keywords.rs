//! Every keyword of ldirectord 4.12: where it may appear and whether we
//! implement it.

/// Where a keyword may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    /// Only outside virtual services.
    Global,
    /// Only inside a virtual service.
    Virtual,
    /// Globally, and overridden inside a virtual service.
    Both,
}

/// Whether a keyword is implemented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Status {
    /// Read into the model.
    Implemented,
    /// Known to ldirectord, refused by name until implemented.
    NotYet,
    /// Refused by ldirectord 4.12 itself, with the replacement to use.
    Replaced(&'static str),
}

/// One keyword.
#[derive(Debug, Clone, Copy)]
pub(super) struct Keyword {
    /// Its name.
    pub name: &'static str,
    /// Where it may appear.
    pub scope: Scope,
    /// Whether it is implemented.
    pub status: Status,
}

use Scope::{Both, Global, Virtual};
use Status::{Implemented, NotYet, Replaced};

const fn keyword(name: &'static str, scope: Scope, status: Status) -> Keyword {
    Keyword {
        name,
        scope,
        status,
    }
}

/// The keywords of ldirectord 4.12 (its `read_config`), plus
/// `connecttimeout`, which older ldirectord versions read and we implement.
pub(super) const KEYWORDS: &[Keyword] = &[
    // Global only.
    keyword("autoreload", Global, Implemented),
    keyword("callback", Global, Implemented),
    keyword("logfile", Global, Implemented),
    keyword("maintenancedir", Global, Implemented),
    keyword("readdquiescent", Global, Implemented),
    keyword("execute", Global, NotYet),
    keyword("fork", Global, NotYet),
    keyword("supervised", Global, NotYet),
    keyword("emailalertfrom", Global, NotYet),
    keyword(
        "timeout",
        Global,
        Replaced("checktimeout and negotiatetimeout"),
    ),
    // Global, overridden per virtual service.
    keyword("checktimeout", Both, Implemented),
    keyword("negotiatetimeout", Both, Implemented),
    keyword("connecttimeout", Both, Implemented),
    keyword("checkinterval", Both, Implemented),
    keyword("checkcount", Both, Implemented),
    keyword("failurecount", Both, Implemented),
    keyword("fallback", Both, Implemented),
    keyword("fallback6", Both, Implemented),
    keyword("fallbackcommand", Both, Implemented),
    keyword("quiescent", Both, Implemented),
    keyword("cleanstop", Both, Implemented),
    keyword("emailalert", Both, NotYet),
    keyword("emailalertfreq", Both, NotYet),
    keyword("emailalertstatus", Both, NotYet),
    keyword("smtp", Both, NotYet),
    // Virtual service only.
    keyword("real", Virtual, Implemented),
    keyword("real6", Virtual, Implemented),
    keyword("request", Virtual, Implemented),
    keyword("receive", Virtual, Implemented),
    keyword("checktype", Virtual, Implemented),
    keyword("checkcommand", Virtual, Implemented),
    keyword("checkport", Virtual, Implemented),
    keyword("login", Virtual, Implemented),
    keyword("passwd", Virtual, Implemented),
    keyword("database", Virtual, Implemented),
    keyword("secret", Virtual, Implemented),
    keyword("scheduler", Virtual, Implemented),
    keyword("persistent", Virtual, Implemented),
    keyword("schedflags", Virtual, Implemented),
    keyword("netmask", Virtual, Implemented),
    keyword("protocol", Virtual, Implemented),
    keyword("ops", Virtual, Implemented),
    keyword("service", Virtual, Implemented),
    keyword("httpmethod", Virtual, Implemented),
    keyword("virtualhost", Virtual, Implemented),
    keyword("servicename", Virtual, Implemented),
    keyword("comment", Virtual, Implemented),
    keyword("load", Virtual, NotYet),
    keyword("monitorfile", Virtual, NotYet),
];

/// The keyword of a name, if ldirectord knows it (`virtual` and
/// `virtual6`, which open blocks, are handled by the parser itself).
pub(super) fn find(name: &str) -> Option<&'static Keyword> {
    KEYWORDS.iter().find(|k| k.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        for (i, a) in KEYWORDS.iter().enumerate() {
            assert!(
                KEYWORDS[i + 1..].iter().all(|b| b.name != a.name),
                "{} twice",
                a.name
            );
        }
    }

    #[test]
    fn every_keyword_of_ldirectord_is_known() {
        // The keywords of ldirectord 4.12's read_config.
        let ldirectord = "autoreload callback checkcommand checkcount checkinterval \
            checkport checktimeout checktype cleanstop comment connecttimeout database \
            emailalert emailalertfreq emailalertfrom emailalertstatus execute fallback \
            fallback6 fallbackcommand failurecount fork httpmethod load login logfile \
            maintenancedir monitorfile negotiatetimeout netmask ops passwd persistent \
            protocol quiescent readdquiescent real real6 receive request schedflags \
            scheduler secret service servicename smtp supervised timeout virtualhost";
        for name in ldirectord.split_whitespace() {
            assert!(find(name).is_some(), "{name} unknown");
        }
        assert!(find("virtual").is_none());
        assert!(find("bogus").is_none());
    }
}
