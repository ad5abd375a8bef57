//! The roff our sections are written in: text escaped so groff prints it as given (and a reader
//! can copy a command from the page), `code` shown in bold.

/// `s` as roff text: `\` and `-` escaped (`\-` is the hyphen-minus a copied flag needs), `'`,
/// `` ` ``, `~` and `^` as the ASCII glyphs (groff would print typographic ones), other than
/// ASCII as `\[uXXXX]`, and a line that would start with a control character (`.` or `'`)
/// guarded with `\&`.
pub(super) fn escape(s: &str) -> String {
    escape_from(s, true)
}

/// [`escape`] of text that starts a line of output or continues one.
fn escape_from(s: &str, mut line_start: bool) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if line_start && (c == '.' || c == '\'') {
            out.push_str("\\&");
        }
        match c {
            '\\' => out.push_str("\\e"),
            '-' => out.push_str("\\-"),
            '\'' => out.push_str("\\*(Aq"),
            '`' => out.push_str("\\(ga"),
            '~' => out.push_str("\\(ti"),
            '^' => out.push_str("\\(ha"),
            // groff reads its input as Latin-1 unless a preprocessor says otherwise: a named
            // Unicode character renders everywhere (groff, mandoc).
            c if !c.is_ascii() => out.push_str(&format!("\\[u{:04X}]", c as u32)),
            c => out.push(c),
        }
        line_start = c == '\n';
    }
    out
}

/// A whole page with every character beyond ASCII named (`\[u2014]`), clap_mangen's text
/// included: groff reads raw input as Latin-1 unless a preprocessor says otherwise.
pub(super) fn ascii_only(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    for c in page.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\[u{:04X}]", c as u32));
        }
    }
    out
}

/// Prose: escaped, each `code` span in bold (without its backticks). A lone backtick is kept.
pub(super) fn prose(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(open) = rest.find('`') {
        let Some(len) = rest[open + 1..].find('`') else {
            break;
        };
        let starts_line = out.is_empty() || out.ends_with('\n');
        out.push_str(&escape_from(&rest[..open], starts_line));
        out.push_str("\\fB");
        // After `\fB` nothing of the span starts a line.
        out.push_str(&escape_from(&rest[open + 1..open + 1 + len], false));
        out.push_str("\\fR");
        rest = &rest[open + 1 + len + 1..];
    }
    let starts_line = out.is_empty() || out.ends_with('\n');
    out.push_str(&escape_from(rest, starts_line));
    out
}

/// A section heading (`.SH "EXIT STATUS"`).
pub(super) fn section(out: &mut String, title: &str) {
    out.push_str(&format!(".SH \"{title}\"\n"));
}

/// A tagged paragraph: `tag` in bold, `body` as prose under it.
pub(super) fn tagged(out: &mut String, tag: &str, body: &str) {
    out.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", escape(tag), prose(body)));
}

/// A paragraph of prose.
pub(super) fn paragraph(out: &mut String, text: &str) {
    out.push_str(&format!(".PP\n{}\n", prose(text)));
}

/// Lines shown as typed, indented, not filled: `bold` lines (the commands) in bold, then
/// `plain` lines (what they print).
pub(super) fn literal(out: &mut String, bold: &[&str], plain: &[&str]) {
    out.push_str(".RS 4\n.nf\n");
    for l in bold {
        out.push_str(&format!("\\fB{}\\fR\n", escape(l)));
    }
    for l in plain {
        // An empty line inside .nf is a blank line, as wanted; a line of spaces too.
        out.push_str(&escape(l));
        out.push('\n');
    }
    out.push_str(".fi\n.RE\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_groff_would_eat() {
        assert_eq!(escape("--ttl 30m"), "\\-\\-ttl 30m");
        assert_eq!(escape(r"a\b"), "a\\eb");
        assert_eq!(escape("it's"), "it\\*(Aqs");
        assert_eq!(escape("~/.kube/config"), "\\(ti/.kube/config");
        assert_eq!(escape(".hidden\n'quoted"), "\\&.hidden\n\\&\\*(Aqquoted");
        assert_eq!(escape("x^2 `y`"), "x\\(ha2 \\(gay\\(ga");
        assert_eq!(escape("a — ✓"), "a \\[u2014] \\[u2713]");
        assert_eq!(ascii_only("x — y\n"), "x \\[u2014] y\n");
    }

    #[test]
    fn prose_bolds_code_spans() {
        assert_eq!(prose("run `zt login` first"), "run \\fBzt login\\fR first");
        assert_eq!(prose("a ` alone"), "a \\(ga alone");
        assert_eq!(prose("x\n`.y`"), "x\n\\fB.y\\fR");
        assert_eq!(prose("`a`. 'b'\n.c"), "\\fBa\\fR. \\*(Aqb\\*(Aq\n\\&.c");
    }

    #[test]
    fn literal_lines_are_escaped_and_unfilled() {
        let mut s = String::new();
        literal(&mut s, &["$ zt status --json"], &[".dot", ""]);
        assert_eq!(
            s,
            ".RS 4\n.nf\n\\fB$ zt status \\-\\-json\\fR\n\\&.dot\n\n.fi\n.RE\n"
        );
    }
}
