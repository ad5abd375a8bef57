//! man/examples.toml: every table names a page, and every zt / zt-broker command line in it
//! parses with the real clap definitions and lands on its page.

use clap::FromArgMatches;
use zt::manpages;

use super::zt_command;

fn examples() -> zt::manpages::Examples {
    manpages::parse_examples(manpages::EXAMPLES).unwrap_or_else(|e| panic!("{}", e.message))
}

#[test]
fn every_table_of_examples_names_a_page() {
    let zt_names = manpages::page_names(zt_command());
    let broker_names = manpages::page_names(zt_broker::cli::command());
    for page in examples().keys() {
        assert!(
            zt_names.contains(page) || broker_names.contains(page),
            "{}: [[{page}]] names no man page (a renamed or removed command?); zt's pages: \
             {zt_names:?}; zt-broker's: {broker_names:?}",
            manpages::EXAMPLES_FILE
        );
    }
    for page in zt_names.iter().chain(&broker_names) {
        assert!(
            examples().contains_key(page),
            "{}: no examples for {page}: add a [[{page}]] table (text, run)",
            manpages::EXAMPLES_FILE
        );
    }
}

/// The binary a page belongs to.
fn binary_of(page: &str) -> &'static str {
    if page == "zt-broker" || page.starts_with("zt-broker-") {
        "zt-broker"
    } else {
        "zt"
    }
}

/// Parse one invocation with the real definitions: the page it lands on (`zt-credential-kube`).
fn parse(words: &[String]) -> Result<(String, clap::ArgMatches), String> {
    let cmd = match words[0].as_str() {
        "zt" => zt_command(),
        _ => zt_broker::cli::command(),
    };
    let matches = cmd
        .try_get_matches_from(words)
        .map_err(|e| e.render().to_string())?;
    let mut page = words[0].clone();
    let mut m = &matches;
    while let Some((name, sub)) = m.subcommand() {
        page = format!("{page}-{name}");
        m = sub;
    }
    Ok((page, matches))
}

#[test]
fn every_example_command_line_parses() {
    let mut checked = 0;
    for (page, list) in examples() {
        let mut lands = false;
        for (i, ex) in list.iter().enumerate() {
            for line in manpages::example_commands(&ex.run) {
                for words in invocations(&line) {
                    let (landed, matches) = parse(&words).unwrap_or_else(|e| {
                        panic!(
                            "{}: [[{page}]] example {}: `{line}` does not parse:\n{e}",
                            manpages::EXAMPLES_FILE,
                            i + 1
                        )
                    });
                    checked += 1;
                    lands |= words[0] == binary_of(&page)
                        && (landed == page || landed.starts_with(&format!("{page}-")));
                    if words[0] == "zt" {
                        // The FILES note "removes what ended grants left" is on exactly the
                        // pages whose command sweeps first.
                        let cli = zt::cli::Cli::from_arg_matches(&matches).unwrap();
                        let sweeps = zt::commands::sweeps_first(&cli.command);
                        assert_eq!(
                            sweeps,
                            manpages::tables::SWEEPING.contains(&landed.as_str()),
                            "{}: SWEEPING is wrong about {landed} (commands::sweeps_first says \
                             {sweeps})",
                            manpages::tables::SOURCE
                        );
                    }
                }
            }
        }
        assert!(
            lands,
            "{}: no example of [[{page}]] runs `{}`",
            manpages::EXAMPLES_FILE,
            page.replacen('-', " ", usize::MAX)
                .replacen("zt broker", "zt-broker", 1)
        );
    }
    assert!(checked > 50, "only {checked} invocations found");
}

#[test]
fn invocations_are_found_in_shell_lines() {
    let w = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        invocations(r#"eval "$(zt env abc)" && kubectl get pods"#),
        [w(&["zt", "env", "abc"])]
    );
    assert_eq!(
        invocations(r#"ctx=$(zt --json request x --reason "a b" | jq -r .context)"#),
        [w(&["zt", "--json", "request", "x", "--reason", "a b"])]
    );
    assert_eq!(
        invocations("ZT_BROKER_LOG=debug zt-broker dev; zt completions fish > f.fish"),
        [w(&["zt-broker", "dev"]), w(&["zt", "completions", "fish"])]
    );
    assert_eq!(
        invocations(r"source <(zt completions bash) # comment"),
        [w(&["zt", "completions", "bash"])]
    );
    assert_eq!(
        invocations(r"zt exec db -- psql -c 'select 1' | tee o\ ut"),
        [w(&["zt", "exec", "db", "--", "psql", "-c", "select 1"])]
    );
}

/// Every `zt …` / `zt-broker …` a shell would run for `line`: in pipelines and lists, after
/// variable assignments, and inside `$(…)` and `<(…)`; quotes and backslashes as a shell
/// reads them, redirections left out. Enough shell for examples, not a shell.
fn invocations(line: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut segments: Vec<Vec<String>> = vec![vec![]];
    let mut word: Option<String> = None;
    let mut redirect = false;
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    let end_word =
        |word: &mut Option<String>, segments: &mut Vec<Vec<String>>, redirect: &mut bool| {
            if let Some(w) = word.take() {
                if *redirect {
                    *redirect = false;
                } else {
                    segments.last_mut().unwrap().push(w);
                }
            }
        };
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' => end_word(&mut word, &mut segments, &mut redirect),
            '#' if word.is_none() => break,
            '|' | ';' | '&' => {
                end_word(&mut word, &mut segments, &mut redirect);
                segments.push(vec![]);
            }
            '>' => {
                end_word(&mut word, &mut segments, &mut redirect);
                redirect = true;
            }
            '<' if chars.get(i + 1) != Some(&'(') => {
                end_word(&mut word, &mut segments, &mut redirect);
                redirect = true;
            }
            '$' | '<' if chars.get(i + 1) == Some(&'(') => {
                let close = matching_paren(&chars, i + 1);
                let inner: String = chars[i + 2..close].iter().collect();
                found.extend(invocations(&inner));
                word.get_or_insert_with(String::new).push_str("SUBST");
                i = close;
            }
            '\\' => {
                i += 1;
                if let Some(&n) = chars.get(i) {
                    word.get_or_insert_with(String::new).push(n);
                }
            }
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                i += 1;
                while i < chars.len() && chars[i] != '\'' {
                    w.push(chars[i]);
                    i += 1;
                }
            }
            '"' => {
                word.get_or_insert_with(String::new);
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' && matches!(chars.get(i + 1), Some('"' | '\\' | '$')) {
                        i += 1;
                        word.as_mut().unwrap().push(chars[i]);
                    } else if chars[i] == '$' && chars.get(i + 1) == Some(&'(') {
                        let close = matching_paren(&chars, i + 1);
                        let inner: String = chars[i + 2..close].iter().collect();
                        found.extend(invocations(&inner));
                        word.as_mut().unwrap().push_str("SUBST");
                        i = close;
                    } else {
                        word.as_mut().unwrap().push(chars[i]);
                    }
                    i += 1;
                }
            }
            c => word.get_or_insert_with(String::new).push(c),
        }
        i += 1;
    }
    end_word(&mut word, &mut segments, &mut redirect);
    for seg in segments {
        let words: Vec<String> = seg.into_iter().skip_while(|w| is_assignment(w)).collect();
        if words.first().is_some_and(|w| w == "zt" || w == "zt-broker") {
            found.push(words);
        }
    }
    found
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit())
    })
}

/// The index of the `)` that closes the `(` at `open`, skipping quoted text.
fn matching_paren(chars: &[char], open: usize) -> usize {
    let mut depth = 0;
    let mut quote = None;
    for (i, &c) in chars.iter().enumerate().skip(open) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    panic!(
        "unbalanced parentheses in {:?}",
        chars.iter().collect::<String>()
    )
}
