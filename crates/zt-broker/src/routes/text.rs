//! Free text people write into the API (a request's reason and ticket, a decision's comment,
//! an extension's reason) is shown later on someone else's terminal and review page: it is
//! refused at the door when it carries control characters, and bounded in length (issue 11).
//! The limits are the ones `openapi.yaml` documents.

use crate::problem::ApiError;
use zt_api::Comment;

/// `reason` of a request (and of an extension), in characters.
pub const MAX_REASON: usize = 1000;
/// `ticket` of a request.
pub const MAX_TICKET: usize = 200;
/// `comment` of an approval, a denial, a revocation or a withdrawal.
pub const MAX_COMMENT: usize = 1000;

/// The rule `openapi.yaml` writes as `maxLength` and the pattern
/// `^(?:[^\u0000-\u0009\u000B-\u001F\u007F-\u009F]|\r\n)*$`: at most `max` characters as
/// sent, and no control character but a newline (LF, or CR LF) — a lone CR that rewrites a
/// line, ESC that starts a terminal sequence, the other C0 controls (tab included), DEL and the
/// C1 controls are a 400 naming the field and the first offending character.
pub fn check(what: &str, value: &str, max: usize) -> Result<(), ApiError> {
    let n = value.chars().count();
    if n > max {
        return Err(ApiError::invalid(format!(
            "{what} is longer than {max} characters ({n})"
        )));
    }
    let mut chars = value.chars().enumerate().peekable();
    while let Some((i, c)) = chars.next() {
        let allowed = match c {
            '\n' => true,
            '\r' => chars.next_if(|(_, c)| *c == '\n').is_some(),
            // `char::is_control` is exactly Unicode's Cc: C0, DEL, C1.
            c => !c.is_control(),
        };
        if !allowed {
            return Err(ApiError::invalid(format!(
                "{what} contains the control character U+{:04X} at character {}; only newlines are allowed",
                c as u32,
                i + 1
            )));
        }
    }
    Ok(())
}

/// `value` [`check`]ed and as stored: CR LF becomes LF (a pasted Windows text is honest, and a
/// retry with either is the same request).
pub fn free_text(
    what: &str,
    value: Option<String>,
    max: usize,
) -> Result<Option<String>, ApiError> {
    let Some(value) = value else {
        return Ok(None);
    };
    check(what, &value, max)?;
    Ok(Some(if value.contains("\r\n") {
        value.replace("\r\n", "\n")
    } else {
        value
    }))
}

/// A decision's, revocation's or withdrawal's body, its comment checked by [`free_text`].
pub fn comment(c: Comment) -> Result<Comment, ApiError> {
    Ok(Comment {
        comment: free_text("comment", c.comment, MAX_COMMENT)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newlines_pass_and_controls_are_refused() {
        let ok = |v: &str| free_text("reason", Some(v.into()), 20).unwrap().unwrap();
        assert_eq!(ok("two\r\nlines\n"), "two\nlines\n");
        assert_eq!(ok("ünïcødé \u{202e}"), "ünïcødé \u{202e}");
        for bad in [
            "a\rb",
            "\x1b[2K",
            "tab\there",
            "del\x7f",
            "c1\u{9b}31m",
            "nul\0",
        ] {
            let e = free_text("reason", Some(bad.into()), 20).unwrap_err();
            assert_eq!(e.status, 400, "{bad:?}");
            assert!(e.detail.unwrap().contains("reason"), "{bad:?}");
        }
        assert!(free_text("ticket", Some("x".repeat(21)), 20).is_err());
        // The length is the one sent, as the document's maxLength counts it.
        assert!(free_text("ticket", Some(format!("{}\r\n", "x".repeat(19))), 20).is_err());
        assert_eq!(
            free_text("ticket", Some("é".repeat(20)), 20)
                .unwrap()
                .unwrap()
                .chars()
                .count(),
            20
        );
        assert_eq!(free_text("ticket", None, 20).unwrap(), None);
    }
}
