//! Questions to a person: yes/no, pickers and lines of text (dialoguer, drawn on stderr). zt
//! never prompts without a terminal: a script gets an error that names the flag instead (gh's
//! `CanPrompt`).

use std::io::IsTerminal;

use dialoguer::console::Term;
use dialoguer::theme::{ColorfulTheme, Theme};

use crate::error::{Error, ErrorKind, Result};

/// A person is there to answer: stdin and stderr are both terminals.
pub fn can_prompt() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Ask a yes/no question on stderr (y or n, Enter takes `default`); Esc or another Ctrl-C also
/// takes `default`. `None` without a terminal.
pub fn confirm(question: &str, default: bool) -> Option<bool> {
    if !can_prompt() {
        return None;
    }
    let term = Term::stderr();
    let _sigint = SigintGuard::new();
    let answer = dialoguer::Confirm::with_theme(&ColorfulTheme::default())
        .with_prompt(question)
        .default(default)
        .interact_on_opt(&term);
    let _ = term.show_cursor();
    Some(match answer {
        Ok(Some(yes)) => yes,
        _ => {
            let _ = term.write_line("");
            default
        }
    })
}

/// One thing to pick: the `row` shown in the list, and the short `label` that stays on screen
/// once it is picked ("✔ Role on prod-k8s · admin").
pub struct Choice {
    pub label: String,
    pub row: String,
}

/// A fuzzy picker on stderr (type to filter, arrows, Enter): the index of the chosen item.
/// Esc or Ctrl-C is a clean cancel (exit 130, cursor shown again). Callers check
/// [`can_prompt`] first and give scripts an error naming the argument instead.
pub fn fuzzy_pick(question: &str, choices: &[Choice], default: usize) -> Result<usize> {
    choose(question, choices, default, true)
}

/// A plain picker (arrows, Enter) for a short list, the `default` item preselected.
pub fn pick(question: &str, choices: &[Choice], default: usize) -> Result<usize> {
    choose(question, choices, default, false)
}

/// Both pickers: the same terminal, Ctrl-C guard, rows and report; only the widget differs.
fn choose(question: &str, choices: &[Choice], default: usize, fuzzy: bool) -> Result<usize> {
    let term = terminal()?;
    let _sigint = SigintGuard::new();
    let theme = ColorfulTheme::default();
    let rows: Vec<&str> = choices.iter().map(|c| c.row.as_str()).collect();
    let default = default.min(rows.len().saturating_sub(1));
    let max = visible_rows(&term);
    let answer = if fuzzy {
        dialoguer::FuzzySelect::with_theme(&theme)
            .with_prompt(question)
            .items(&rows)
            .default(default)
            .max_length(max)
            .report(false)
            .interact_on_opt(&term)
    } else {
        dialoguer::Select::with_theme(&theme)
            .with_prompt(question)
            .items(&rows)
            .default(default)
            .max_length(max)
            .report(false)
            .interact_on_opt(&term)
    };
    let i = settle(&term, answer)?;
    report(&term, &theme, question, &choices[i].label);
    Ok(i)
}

/// What was picked, as one line that stays above what follows.
fn report(term: &Term, theme: &ColorfulTheme, question: &str, label: &str) {
    let mut line = String::new();
    if theme
        .format_select_prompt_selection(&mut line, question, label)
        .is_ok()
    {
        let _ = term.write_line(&line);
    }
}

/// A line of text; `allow_empty`: Enter alone answers "". Ctrl-C cancels (exit 130).
pub fn text(question: &str, allow_empty: bool) -> Result<String> {
    let term = terminal()?;
    let _sigint = SigintGuard::new();
    let theme = ColorfulTheme::default();
    let answer = dialoguer::Input::<String>::with_theme(&theme)
        .with_prompt(question)
        .allow_empty(allow_empty)
        .interact_text_on(&term)
        .map(Some);
    settle(&term, answer).map(|s| s.trim().to_string())
}

fn terminal() -> Result<Term> {
    if !can_prompt() {
        return Err(Error::usage("cannot ask without a terminal"));
    }
    Ok(Term::stderr())
}

/// At most this many rows of a list at once, leaving the screen's top for what was said.
fn visible_rows(term: &Term) -> usize {
    (term.size().0 as usize).saturating_sub(4).clamp(3, 15)
}

/// An answer, or the cancel it was: Esc (`None`) and Ctrl-C (an interrupted read) are the
/// person saying no, exit 130 like zt's other interrupts; the cursor is shown again either way.
fn settle<T>(term: &Term, answer: dialoguer::Result<Option<T>>) -> Result<T> {
    let _ = term.show_cursor();
    match answer {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(cancelled()),
        Err(dialoguer::Error::IO(e)) if e.kind() == std::io::ErrorKind::Interrupted => {
            let _ = term.write_line("");
            Err(cancelled())
        }
        Err(dialoguer::Error::IO(e)) => Err(Error::io("cannot ask on the terminal", e)),
    }
}

fn cancelled() -> Error {
    Error::new(ErrorKind::Cancelled, "cancelled")
}

/// While a question is on screen, SIGINT must not kill zt: the terminal is in raw mode then
/// and the reader turns Ctrl-C into a SIGINT of its own, which would leave the cursor hidden.
/// A tokio listener (inside the runtime) takes the signal, and the read reports the
/// interruption instead. Outside a runtime nothing is installed and Ctrl-C ends zt as usual.
struct SigintGuard(#[allow(dead_code)] Option<tokio::signal::unix::Signal>);

impl SigintGuard {
    fn new() -> Self {
        let listen = || {
            tokio::runtime::Handle::try_current().ok()?;
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok()
        };
        SigintGuard(listen())
    }
}
