//! "did you mean prod-k8s?": the known names nearest to one that was not found, by edit
//! distance (Damerau–Levenshtein, so a swapped pair of letters counts once) within one edit
//! per four letters, plus names that start with what was typed.

use crate::output::field;

/// The names in `known` close enough to `typed` to be what was meant, nearest first, at most
/// three; none when nothing is close (a suggestion that is a guess is worse than none).
pub fn nearest<'a>(typed: &str, known: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let typed_lc = typed.to_lowercase();
    let mut scored: Vec<(usize, &str)> = known
        .into_iter()
        .filter(|k| *k != typed)
        .filter_map(|k| {
            let k_lc = k.to_lowercase();
            let d = strsim::damerau_levenshtein(&typed_lc, &k_lc);
            // One edit per four letters, at least one, at most three.
            let bar = (typed.chars().count() / 4).clamp(1, 3);
            let prefix = typed_lc.len() >= 3 && k_lc.starts_with(&typed_lc);
            (d <= bar || prefix).then_some((if prefix { d.min(bar) } else { d }, k))
        })
        .collect();
    scored.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(3)
        .map(|(_, k)| k.to_string())
        .collect()
}

/// "did you mean prod-k8s?" / "did you mean prod-k8s or prod-db?", names made inert; `None`
/// when nothing is near.
pub fn did_you_mean<'a>(typed: &str, known: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let near = nearest(typed, known);
    let shown: Vec<String> = near.iter().map(|n| field(n)).collect();
    match shown.as_slice() {
        [] => None,
        [one] => Some(format!("did you mean {one}?")),
        [rest @ .., last] => Some(format!("did you mean {} or {last}?", rest.join(", "))),
    }
}

/// `hint` with a suggestion in front of it, when there is one.
pub fn with_suggestion(suggestion: Option<String>, hint: &str) -> String {
    match suggestion {
        Some(s) => format!("{s} ({hint})"),
        None => hint.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CATALOG: [&str; 4] = ["prod-k8s", "prod-aws", "prod-db", "staging-k8s"];

    #[test]
    fn typos_find_the_name() {
        assert_eq!(nearest("prod-k8z", CATALOG), ["prod-k8s"]);
        assert_eq!(nearest("prdo-k8s", CATALOG), ["prod-k8s"]);
        assert_eq!(nearest("PROD-DB", CATALOG), ["prod-db"]);
        assert_eq!(nearest("staging", CATALOG), ["staging-k8s"]);
        assert_eq!(nearest("admn", ["view", "edit", "admin"]), ["admin"]);
        assert_eq!(
            did_you_mean("prod-k8z", CATALOG).as_deref(),
            Some("did you mean prod-k8s?")
        );
    }

    #[test]
    fn far_names_are_not_guessed() {
        assert!(nearest("billing", CATALOG).is_empty());
        assert!(nearest("x", ["view", "edit"]).is_empty());
        assert!(did_you_mean("completely-else", CATALOG).is_none());
        // The name itself is no suggestion.
        assert!(nearest("prod-db", ["prod-db"]).is_empty());
    }

    #[test]
    fn several_near_names_are_listed_nearest_first() {
        assert_eq!(
            nearest("prod-", CATALOG),
            ["prod-aws", "prod-db", "prod-k8s"]
        );
        assert_eq!(nearest("prod-k8", CATALOG), ["prod-k8s"]);
        assert_eq!(
            did_you_mean("prod-d", ["prod-db", "prod-dc"]).as_deref(),
            Some("did you mean prod-db or prod-dc?")
        );
    }

    #[test]
    fn hostile_names_are_inert() {
        let evil = "prod-k8s\u{1b}[2J";
        let s = did_you_mean("prod-k8s\u{1b}[2", [evil]).unwrap();
        assert!(!s.contains('\u{1b}'), "{s}");
    }
}
