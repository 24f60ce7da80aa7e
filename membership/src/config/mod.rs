//! ha.cf and authkeys, parsed with file:line errors.
