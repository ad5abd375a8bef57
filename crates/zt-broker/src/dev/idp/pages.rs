//! The HTML of the development sign-in pages: `/device`, where a person types the code `zt
//! login` printed, picks a demo user and approves or denies; and `/authorize`, where a web
//! client's sign-in (the review page) picks a demo user and signs in. Everything echoed is
//! escaped.

use std::fmt::Write;

use super::DevUser;
use super::routes::Checked;

// The review page's escaping: one rule for every page the broker serves.
use crate::review::page::escape;

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;\
padding:0 1rem;color:#222}.dev{background:#fff3cd;border:1px solid #e0b400;padding:.6rem .8rem;\
border-radius:6px}label{display:block;margin:1rem 0 .3rem;font-weight:600}input,select{font-size:\
1.2rem;padding:.3rem;width:100%;box-sizing:border-box}input[name=user_code]{font-family:monospace;\
letter-spacing:.15em;text-transform:uppercase}.buttons{margin-top:1.5rem;display:flex;gap:1rem}\
button{font-size:1.1rem;padding:.5rem 1.5rem}";

const BANNER: &str = "<p class=\"dev\"><strong>zt development sign-in.</strong> This is the \
identity provider built into <code>zt-broker dev</code>, for trying zt out. It is not for \
production: anyone who can open this page can sign in as any user.</p>";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>{title} · zt development sign-in</title><style>{STYLE}</style></head>\
<body><h1>{title}</h1>{BANNER}{body}</body></html>\n",
        title = escape(title),
    )
}

/// The form: user code (prefilled from `?user_code=`), demo user, Approve / Deny.
pub(super) fn device_form(user_code: &str, users: &[DevUser]) -> String {
    let options = user_options(users);
    let body = format!(
        "<p>Enter the code shown by <code>zt login</code> in your terminal, choose who to sign \
in as, and approve.</p>\
<form method=\"post\" action=\"device\">\
<label for=\"user_code\">Code</label>\
<input id=\"user_code\" name=\"user_code\" value=\"{code}\" placeholder=\"XXXX-XXXX\" \
autocomplete=\"off\" autofocus required>\
<label for=\"user\">Sign in as</label>\
<select id=\"user\" name=\"user\">{options}</select>\
<div class=\"buttons\">\
<button type=\"submit\" name=\"action\" value=\"approve\">Approve</button>\
<button type=\"submit\" name=\"action\" value=\"deny\">Deny</button>\
</div></form>",
        code = escape(user_code),
    );
    page("Sign in to zt", &body)
}

/// The `<option>`s of the user list: name, email, groups.
fn user_options(users: &[DevUser]) -> String {
    let mut options = String::new();
    for u in users {
        let groups = if u.groups.is_empty() {
            String::new()
        } else {
            format!(" — {}", u.groups.join(", "))
        };
        let _ = write!(
            options,
            "<option value=\"{}\">{} &lt;{}&gt;{}</option>",
            escape(&u.name),
            escape(&u.name),
            escape(&u.email),
            escape(&groups),
        );
    }
    options
}

/// The web sign-in page (`/authorize`): who to sign in as, "Sign in" / "Cancel"; the checked
/// request rides along in hidden fields (and is checked again when the form comes back).
pub(super) fn authorize_form(req: &Checked, users: &[DevUser]) -> String {
    let mut hidden = String::new();
    let mut field = |name: &str, value: &str| {
        let _ = write!(
            hidden,
            "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
            escape(value)
        );
    };
    field("response_type", "code");
    field("client_id", &req.client_id);
    field("redirect_uri", &req.redirect_uri);
    field("scope", &req.scope);
    if let Some(s) = &req.state {
        field("state", s);
    }
    if let Some(n) = &req.nonce {
        field("nonce", n);
    }
    field("code_challenge", &req.code_challenge);
    field("code_challenge_method", "S256");
    let body = format!(
        "<p>Sign in to <strong>{client}</strong>: choose who you are. You will be sent back to \
<code>{back}</code>.</p>\
<form method=\"post\" action=\"authorize\">{hidden}\
<label for=\"user\">Sign in as</label>\
<select id=\"user\" name=\"user\">{options}</select>\
<div class=\"buttons\">\
<button type=\"submit\" name=\"action\" value=\"signin\">Sign in</button>\
<button type=\"submit\" name=\"action\" value=\"cancel\">Cancel</button>\
</div></form>",
        client = escape(&req.client_id),
        back = escape(&req.redirect_uri),
        options = user_options(users),
    );
    page("Sign in to zt", &body)
}

/// A page that only says something (`message` is plain text and gets escaped).
pub(super) fn result_page(title: &str, message: &str) -> String {
    page(title, &format!("<p>{}</p>", escape(message)))
}

/// A result page: `message` is plain text and gets escaped.
pub(super) fn result(title: &str, message: &str) -> String {
    let body = format!(
        "<p>{}</p><p><a href=\"device\">Enter another code</a></p>",
        escape(message)
    );
    page(title, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
