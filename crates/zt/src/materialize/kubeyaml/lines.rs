//! The text as lines, and where a scalar ends on its line. yaml_rust2 reports positions as
//! (line, column in chars); these turn them into byte offsets within one line.

use yaml_rust2::scanner::{Marker, TScalarStyle};

/// The text split into lines. A line's range includes its line break.
pub(super) struct Lines<'t> {
    pub text: &'t str,
    starts: Vec<usize>,
}

impl<'t> Lines<'t> {
    pub(super) fn new(text: &'t str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Lines { text, starts }
    }
    pub(super) fn count(&self) -> usize {
        self.starts.len()
    }
    pub(super) fn start(&self, line: usize) -> usize {
        self.starts.get(line).copied().unwrap_or(self.text.len())
    }
    pub(super) fn end(&self, line: usize) -> usize {
        self.start(line + 1)
    }
    pub(super) fn line_of(&self, pos: usize) -> usize {
        self.starts.partition_point(|&s| s <= pos).saturating_sub(1)
    }
    /// The line without its line break.
    pub(super) fn body(&self, line: usize) -> &'t str {
        let s = self
            .text
            .get(self.start(line)..self.end(line))
            .unwrap_or("");
        let s = s.strip_suffix('\n').unwrap_or(s);
        s.strip_suffix('\r').unwrap_or(s)
    }
    /// Column and char of the first non-blank char; None for a blank line.
    pub(super) fn first(&self, line: usize) -> Option<(usize, char)> {
        self.body(line)
            .chars()
            .enumerate()
            .find(|(_, c)| *c != ' ' && *c != '\t')
    }
    /// Byte offset of a marker (its column may point just past the end of the line).
    pub(super) fn pos(&self, m: &Marker) -> Option<usize> {
        let line = m.line().checked_sub(1).filter(|l| *l < self.count())?;
        let body = self.body(line);
        let start = self.start(line);
        match body.char_indices().nth(m.col()) {
            Some((i, _)) => Some(start + i),
            None => (body.chars().count() == m.col()).then_some(start + body.len()),
        }
    }
    /// The first line at or after the marker that lies wholly after it: where the text that
    /// ends at the marker (the next key, a `...`, or EOF) begins.
    pub(super) fn boundary(&self, m: &Marker) -> usize {
        let line = m.line().saturating_sub(1).min(self.count() - 1);
        let pos = self
            .pos(m)
            .unwrap_or_else(|| self.start(line) + self.body(line).len());
        let before = self.text.get(self.start(line)..pos).unwrap_or("");
        if before.trim().is_empty() {
            line
        } else {
            line + 1
        }
    }
    /// End (exclusive line) of the content that starts at line `first` and is followed by
    /// `boundary`: blank lines and comments indented no deeper than `col` (the indent of the
    /// entries or keys at this level) belong to what follows, deeper ones to this content.
    /// Blank lines after a block scalar may be part of its value (`|+`), so they stay with it.
    pub(super) fn content_end(
        &self,
        first: usize,
        boundary: usize,
        col: usize,
        block_last: bool,
    ) -> usize {
        let mut end = boundary;
        while end > first + 1 {
            match self.first(end - 1) {
                None => end -= 1,
                Some((c, '#')) if c <= col => end -= 1,
                _ => break,
            }
        }
        if block_last {
            while end < boundary && self.first(end).is_none() {
                end += 1;
            }
        }
        end
    }
}

/// End of a scalar starting at byte `p`, if it ends on the same line. `key`: a plain scalar
/// used as a key ends at `: `.
pub(super) fn scalar_end(lines: &Lines, p: usize, style: TScalarStyle, key: bool) -> Option<usize> {
    let line = lines.line_of(p);
    let s = lines
        .text
        .get(p..lines.start(line) + lines.body(line).len())?;
    let mut chars = s.char_indices().peekable();
    match style {
        TScalarStyle::DoubleQuoted => {
            chars.next().filter(|c| c.1 == '"')?;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => _ = chars.next(),
                    '"' => return Some(p + i + 1),
                    _ => {}
                }
            }
            None
        }
        TScalarStyle::SingleQuoted => {
            chars.next().filter(|c| c.1 == '\'')?;
            while let Some((i, c)) = chars.next() {
                if c == '\'' && chars.next_if(|n| n.1 == '\'').is_none() {
                    return Some(p + i + 1);
                }
            }
            None
        }
        TScalarStyle::Plain => {
            let mut end = s.len();
            let mut prev_blank = false;
            while let Some((i, c)) = chars.next() {
                let blank_next = chars.peek().is_none_or(|n| n.1 == ' ' || n.1 == '\t');
                if (c == '#' && prev_blank) || (key && c == ':' && blank_next) {
                    end = i;
                    break;
                }
                prev_blank = c == ' ' || c == '\t';
            }
            Some(p + s[..end].trim_end_matches([' ', '\t']).len())
        }
        _ => None,
    }
}
