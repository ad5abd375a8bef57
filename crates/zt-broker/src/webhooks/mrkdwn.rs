//! Text someone typed (a reason, a ticket, a comment, a name), made safe for Slack's `mrkdwn`
//! and bounded: `&`, `<` and `>` become entities, so no `<@U123>`, `<!channel>` or
//! `<https://…|label>` a requester or approver wrote becomes a mention or a link (the
//! Block Kit text objects are also sent `verbatim`, so Slack links no bare URL or name either),
//! and every value is cut, with "…", before Slack's limits would refuse the whole message.

/// `&`, `<`, `>` as Slack's entities (all it asks to escape).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// [`escape`]d and at most `max` characters (as Slack counts them, after escaping), cut with
/// "…" — never inside an entity.
pub fn field(s: &str, max: usize) -> String {
    bound(&escape(s), max)
}

/// At most `max` characters, cut with "…" (never inside an `&…;` entity).
pub fn bound(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let keep = max.saturating_sub(1);
    let mut out: String = s.chars().take(keep).collect();
    // An entity cut in half would show as text: drop its start.
    if let Some(amp) = out.rfind('&')
        && !out[amp..].contains(';')
    {
        out.truncate(amp);
    }
    out.push('…');
    out
}

/// Several lines as one: each line break becomes " / " (the one-line text stays one line).
pub fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" / ")
}

/// Each line as a Slack block quote (`>` — ours, the typed ones were escaped), so a comment of
/// several lines stays readable as one quoted passage.
pub fn quote(escaped: &str) -> String {
    escaped
        .lines()
        .map(|l| format!(">{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_text_cannot_mention_or_link() {
        assert_eq!(
            escape("<!channel> <@U123> <https://evil.example|click> a&b"),
            "&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|click&gt; a&amp;b"
        );
    }

    #[test]
    fn values_are_cut_before_the_limit_never_inside_an_entity() {
        assert_eq!(field("abcdef", 4), "abc…");
        assert_eq!(field("ab<cd", 4), "ab…");
        assert_eq!(field("ab<cd", 9), "ab&lt;cd");
        assert_eq!(field(&"é".repeat(5000), 3000).chars().count(), 3000);
        assert_eq!(bound("&amp;&amp;", 7), "&amp;…");
    }

    #[test]
    fn lines_join_or_quote() {
        assert_eq!(one_line("use view\r\ninstead\n\n"), "use view / instead");
        assert_eq!(quote("a\nb"), ">a\n>b");
    }
}
