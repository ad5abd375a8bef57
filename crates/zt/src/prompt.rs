//! Questions to a person. zt never prompts without a terminal: a script gets an error that
//! names the flag instead (gh's `CanPrompt`).

use std::io::{BufRead, IsTerminal, Write};

/// A person is there to answer: stdin and stderr are both terminals.
pub fn can_prompt() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Ask a yes/no question on stderr; an empty answer takes `default`. `None` without a terminal.
pub fn confirm(question: &str, default: bool) -> Option<bool> {
    if !can_prompt() {
        return None;
    }
    let hint = if default { "[Y/n]" } else { "[y/N]" };
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{question} {hint} ");
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).ok()?;
    match line.trim().to_ascii_lowercase().as_str() {
        "" => Some(default),
        "y" | "yes" => Some(true),
        _ => Some(false),
    }
}
