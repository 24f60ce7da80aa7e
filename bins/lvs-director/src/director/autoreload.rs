//! Watching the configuration file between rounds of checks, as ldirectord
//! does: its contents are compared with the last ones seen (always read:
//! the file is small, and a modification time can stay the same across
//! two quick writes). A change is reported once, whatever becomes of it —
//! a file that does not parse is not reported again until it changes again.

use std::path::{Path, PathBuf};

/// The last seen contents of one file.
#[derive(Debug)]
pub struct FileWatch {
    path: PathBuf,
    text: String,
}

impl FileWatch {
    /// Watches `path`, whose contents are `text` now.
    pub fn new(path: &Path, text: &str) -> Self {
        FileWatch {
            path: path.to_path_buf(),
            text: text.to_string(),
        }
    }

    /// Whether the file changed since the last look.
    pub fn changed(&mut self) -> bool {
        match std::fs::read_to_string(&self.path) {
            Ok(text) if text != self.text => {
                self.text = text;
                true
            }
            Ok(_) => false,
            Err(e) => {
                log::warn!("cannot read {} to check it: {e}", self.path.display());
                false
            }
        }
    }

    /// Records `text` as the contents in force (after a reload by signal).
    pub fn seen(&mut self, text: &str) {
        self.text = text.to_string();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_change_of_contents_counts_and_once() {
        let path =
            std::env::temp_dir().join(format!("lvs-director-watch-{}.cf", std::process::id()));
        std::fs::write(&path, "checkinterval=1\n").unwrap();
        let mut watch = FileWatch::new(&path, "checkinterval=1\n");
        assert!(!watch.changed());
        std::fs::write(&path, "checkinterval=1\n").unwrap();
        assert!(!watch.changed(), "same contents written again");
        std::fs::write(&path, "checkinterval=2\n").unwrap();
        assert!(watch.changed());
        assert!(!watch.changed(), "reported once");
        let _ = std::fs::remove_file(&path);
    }
}
