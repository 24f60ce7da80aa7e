//! How `ipvsadm -R` splits its input into command lines.
//!
//! ipvsadm reads words separated by spaces, tabs and carriage returns; a
//! newline ends a command line; the word `ipvsadm` is dropped wherever it
//! appears (so saved `ipvsadm -A …` lines work); lines without words are
//! skipped. It has no comments: a `#` line is a command line like any other
//! (and ipvsadm refuses it). Reading stops early at a line holding only
//! blanks at the very end of the input (and drops an unterminated last
//! line that ends in two or more blanks).

/// The command lines of a restore input, each as the words after the
/// program name, in order; reading stops where ipvsadm's stops.
pub fn command_lines(input: &str) -> Vec<Vec<String>> {
    let chars: Vec<char> = input.chars().collect();
    let mut pos = 0;
    let mut lines = Vec::new();
    while let Some(words) = next_line(&chars, &mut pos) {
        if !words.is_empty() {
            lines.push(words);
        }
    }
    lines
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r')
}

/// One line as ipvsadm's `config_stream_read` reads it: `None` at the end
/// of the input (or where a blank run at the very end makes it give up,
/// dropping that unterminated line).
fn next_line(chars: &[char], pos: &mut usize) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut tokens = 0;
    loop {
        let Some(&c) = chars.get(*pos) else {
            return (tokens > 0).then_some(words);
        };
        if c == '\n' || is_blank(c) {
            // No word here: skip blanks up to the next word or newline.
            loop {
                let &c = chars.get(*pos)?;
                *pos += 1;
                if c == '\n' {
                    return Some(words);
                }
                if !is_blank(c) {
                    *pos -= 1;
                    break;
                }
            }
            continue;
        }
        let start = *pos;
        while chars.get(*pos).is_some_and(|c| *c != '\n' && !is_blank(*c)) {
            *pos += 1;
        }
        let word: String = chars.get(start..*pos).unwrap_or_default().iter().collect();
        if word != "ipvsadm" {
            tokens += 1;
            words.push(word);
        }
        // One separator after the word is part of the same read.
        if let Some(&sep) = chars.get(*pos) {
            *pos += 1;
            if sep == '\n' {
                return Some(words);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &str) -> Vec<String> {
        command_lines(input)
            .into_iter()
            .map(|l| l.join(" "))
            .collect()
    }

    #[test]
    fn splits_on_blanks_and_newlines() {
        assert_eq!(
            lines("-A -t 1.2.3.4:80\n\n  -a\t-t 1.2.3.4:80\r-r 5.6.7.8\n"),
            vec!["-A -t 1.2.3.4:80", "-a -t 1.2.3.4:80 -r 5.6.7.8"]
        );
    }

    #[test]
    fn drops_the_program_name_everywhere() {
        assert_eq!(lines("ipvsadm -C ipvsadm\n"), vec!["-C"]);
        assert_eq!(lines("ipvsadm\n-C\n"), vec!["-C"]);
    }

    #[test]
    fn keeps_an_unterminated_last_line_and_comment_words() {
        assert_eq!(lines("-C\n-L"), vec!["-C", "-L"]);
        assert_eq!(lines("# note\n"), vec!["# note"]);
        assert_eq!(lines("-C\n   "), vec!["-C"]);
        assert_eq!(lines("-C\n-L "), vec!["-C", "-L"]);
        // Two blanks before the end of input: ipvsadm gives the line up.
        assert_eq!(lines("-C\n-L  "), vec!["-C"]);
    }
}
