//! The summary the side-by-side benches print at the end and write next to
//! criterion's reports: each line's sample count, minimum, median and
//! maximum in milliseconds, notes, and what was skipped and why.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use super::min_median_max_ms;

/// Lines of samples, notes and skips, in the order they were added.
pub struct Summary {
    title: String,
    lines: Vec<(String, Vec<Duration>)>,
    notes: Vec<String>,
    skipped: Vec<String>,
}

impl Summary {
    /// An empty summary headed `title` (what is timed, from what to what).
    pub fn new(title: &str) -> Summary {
        Summary {
            title: title.to_string(),
            lines: Vec::new(),
            notes: Vec::new(),
            skipped: Vec::new(),
        }
    }

    /// Adds line `name` with its samples (none: it is listed with n = 0).
    pub fn line(&mut self, name: &str, samples: Vec<Duration>) {
        self.lines.push((name.to_string(), samples));
    }

    /// Adds a note printed under the table.
    pub fn note(&mut self, text: &str) {
        self.notes.push(text.to_string());
    }

    /// Records that something was skipped, and why, saying so now too.
    pub fn skip(&mut self, why: &str) {
        println!("skipped: {why}");
        self.skipped.push(why.to_string());
    }

    /// The table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\n== {} ==\n\n{:<48} {:>4} {:>9} {:>9} {:>9}",
            self.title, "line (ms)", "n", "min", "median", "max"
        );
        for (name, samples) in &self.lines {
            match min_median_max_ms(samples) {
                Some((min, median, max)) => {
                    let _ = writeln!(
                        out,
                        "{name:<48} {:>4} {min:>9.1} {median:>9.1} {max:>9.1}",
                        samples.len()
                    );
                }
                None => {
                    let _ = writeln!(out, "{name:<48} {:>4}", 0);
                }
            }
        }
        for note in &self.notes {
            let _ = writeln!(out, "\n{note}");
        }
        for skipped in &self.skipped {
            let _ = writeln!(out, "\nskipped: {skipped}");
        }
        out
    }

    /// Prints the table and writes it to `target/criterion/FILE_NAME`.
    pub fn finish(&self, file_name: &str) {
        let table = self.table();
        println!("{table}");
        if let Some(dir) = criterion_dir() {
            let path = dir.join(file_name);
            if std::fs::create_dir_all(&dir)
                .and_then(|()| std::fs::write(&path, &table))
                .is_ok()
            {
                println!("summary written to {}", path.display());
            }
        }
    }
}

/// `target/criterion`, next to criterion's own reports.
fn criterion_dir() -> Option<PathBuf> {
    // target/PROFILE/deps/BENCH-HASH
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.parent()?.join("criterion"))
}
