//! completions/ and man/ are generated from the clap definitions (plus zt's and zt-broker's
//! tables and man/examples.toml) and checked in; this fails when they drift.
//! `ZT_UPDATE_DOCS=1 cargo test --all-features --test it docs` rewrites them.
//!
//! Also: every man page has EXIT STATUS, FILES and EXAMPLES; every table of examples names a
//! page; every zt and zt-broker command line in the examples parses with the real definitions.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use clap::FromArgMatches;
use zt::manpages::{self, ManDocs};

use crate::common::Home;
use crate::common::broker::Broker;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn updating() -> bool {
    std::env::var("ZT_UPDATE_DOCS").is_ok_and(|v| v == "1")
}

fn check(dir: &Path, files: Vec<(String, Vec<u8>)>) {
    let mut stale = Vec::new();
    for (name, bytes) in files {
        let path = dir.join(&name);
        if updating() {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        } else if std::fs::read(&path).ok().as_deref() != Some(&bytes[..]) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "generated docs are stale: {stale:?}\nrun `{}` and commit the result",
        manpages::REGENERATE
    );
}

fn zt_command() -> clap::Command {
    <zt::cli::Cli as clap::CommandFactory>::command()
}

fn broker_docs() -> ManDocs<'static> {
    use zt_broker::docs;
    ManDocs {
        exit_codes: docs::EXIT_CODES,
        exit_notes: docs::EXIT_NOTES,
        environment: docs::ENVIRONMENT,
        files_intro: docs::FILES_INTRO,
        files: docs::FILES,
        files_outro: None,
        source: "crates/zt-broker/src/docs.rs",
        examples: manpages::EXAMPLES,
    }
}

fn zt_pages() -> Vec<(String, Vec<u8>)> {
    zt::docs::man_pages().unwrap_or_else(|e| panic!("{}", e.message))
}

fn broker_pages() -> Vec<(String, Vec<u8>)> {
    zt::docs::man_pages_for(zt_broker::cli::command(), &broker_docs())
        .unwrap_or_else(|e| panic!("{}", e.message))
}

#[test]
fn zt_completions_are_current() {
    check(&root().join("completions"), zt::docs::zt_completions());
}

#[test]
fn zt_man_pages_are_current() {
    check(&root().join("man"), zt_pages());
}

#[test]
fn broker_docs_are_current() {
    check(
        &root().join("completions"),
        zt::docs::completions_for(zt_broker::cli::command(), "zt-broker"),
    );
    check(&root().join("man"), broker_pages());
}

/// A page of a command that no longer exists would still be installed by install.sh.
#[test]
fn man_has_no_page_of_a_removed_command() {
    let made: BTreeSet<String> = zt_pages()
        .into_iter()
        .chain(broker_pages())
        .map(|(name, _)| name)
        .collect();
    let mut stale = Vec::new();
    for entry in std::fs::read_dir(root().join("man")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".1") && !made.contains(&name) {
            if updating() {
                std::fs::remove_file(&path).unwrap();
            } else {
                stale.push(name);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "man/ holds pages of no command: {stale:?}\nrun `{}` (it removes them)",
        manpages::REGENERATE
    );
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn every_page_has_exit_status_files_and_examples() {
    let zt_codes: Vec<u8> = zt::error::ErrorKind::TABLE
        .iter()
        .map(|(c, _)| *c)
        .collect();
    let broker_codes: Vec<u8> = zt_broker::docs::EXIT_CODES
        .iter()
        .map(|(c, _)| *c)
        .collect();
    for (pages, codes) in [(zt_pages(), zt_codes), (broker_pages(), broker_codes)] {
        assert!(pages.len() > 5, "too few pages: {}", pages.len());
        for (name, bytes) in pages {
            let page = text(&bytes);
            let order: Vec<usize> = [".SH \"EXIT STATUS\"", ".SH \"FILES\"", ".SH \"EXAMPLES\""]
                .iter()
                .map(|s| page.find(s).unwrap_or_else(|| panic!("{name} has no {s}")))
                .collect();
            assert!(order.is_sorted(), "{name}: sections out of order");
            for code in &codes {
                assert!(
                    page.contains(&format!(".TP\n\\fB{code}\\fR\n")),
                    "{name}: exit code {code} missing"
                );
            }
            let examples = &page[order[2]..];
            assert!(
                examples.contains(".nf\n\\fB$ "),
                "{name}: EXAMPLES shows no command"
            );
        }
    }
}

#[test]
fn top_pages_document_the_environment() {
    let zt_top = text(&zt_pages()[0].1);
    for (var, _) in zt::env::DOCUMENTED {
        assert!(
            zt_top.contains(&format!("\\fB{var}\\fR")),
            "zt.1 lacks {var}"
        );
    }
    let broker_top = text(&broker_pages()[0].1);
    assert!(broker_top.contains(".SH \"ENVIRONMENT\"") && broker_top.contains("ZT_BROKER_LOG"));
}

/// The broker's FILES name the files its code makes (the constants, not copies of them).
#[test]
fn broker_files_name_what_the_code_makes() {
    let rows: Vec<&str> = zt_broker::docs::FILES.iter().map(|(p, _, _)| *p).collect();
    for file in [
        zt_broker::config::DB_FILE,
        zt_broker::dev::wire::IDP_KEY_FILE,
        zt_broker::dev::statefile::FILE,
        zt_broker::dev::statefile::LOG,
    ] {
        assert!(
            rows.iter().any(|r| r.contains(file)),
            "crates/zt-broker/src/docs.rs: FILES does not name {file}"
        );
    }
    assert!(
        zt_broker::docs::EXIT_CODES
            .iter()
            .any(|(c, _)| *c == zt_broker::serve::audit::BROKEN)
    );
}

/// zt's FILES are where zt writes: in a HOME with nothing else set (every path at its default,
/// as the pages name it), log in, take a grant of each kind (AWS with --static), `zt env` and a
/// credential helper; every file that then exists is named by a row of FILES, and every row
/// that such a run must produce has its file.
#[test]
fn zt_files_rows_name_every_file_zt_writes() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let home = Home::new();
    let zt = |args: &[&str]| {
        let out = home
            .zt(args)
            .env_clear()
            .env("HOME", home.path())
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "zt {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let login = [
        "login",
        "--broker",
        &broker.url,
        "--insecure-storage",
        "--no-browser",
    ];
    zt(&login);
    let mut grants = Vec::new();
    for args in [
        &["request", "prod-k8s", "--ttl", "10m"][..],
        &["request", "prod-aws", "--ttl", "10m", "--static"],
        &["request", "prod-db", "--ttl", "10m"],
    ] {
        let mut with_json = vec!["--json"];
        with_json.extend_from_slice(args);
        let v: serde_json::Value = serde_json::from_str(&zt(&with_json)).unwrap();
        grants.push(v["request"]["id"].as_str().unwrap().to_string());
    }
    zt(&["env", &grants[0]]);
    zt(&["credential", "kube", &grants[0]]);

    let rows = manpages::tables::FILES;
    let mut found = Vec::new();
    walk(home.path(), &mut found);
    let mut named_rows = BTreeSet::new();
    for file in &found {
        let shown = as_the_pages_name(file, home.path(), &grants);
        let row = rows
            .iter()
            .position(|(path, _, _)| row_names(path, &shown))
            .unwrap_or_else(|| {
                panic!(
                    "zt wrote {} ({shown}), which no row of FILES in {} names",
                    file.display(),
                    manpages::tables::SOURCE
                )
            });
        named_rows.insert(row);
    }
    for (i, (path, _, _)) in rows.iter().enumerate() {
        // Not written by this run: locks come and go, the dev broker writes its own file, the
        // token file only where no OS keyring answers, and install.sh the completions.
        let optional = path.contains(".lock")
            || path.contains("dev-broker.json")
            || path.contains("tokens/")
            || path.contains("completions");
        assert!(
            optional || named_rows.contains(&i),
            "FILES names {path}, but zt wrote no such file (found: {found:?})"
        );
    }
    // The reaper started by the grants exits once they are gone.
    for g in &grants {
        zt(&["revoke", g]);
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// `file` as the pages write paths: `~` for HOME, the runtime directory as
/// `$XDG_RUNTIME_DIR/zt` (its name when it falls back to the state directory), GRANT, PROFILE.
fn as_the_pages_name(file: &Path, home: &Path, grants: &[String]) -> String {
    let rel = file.strip_prefix(home).unwrap().display().to_string();
    let mut shown = format!("~/{rel}");
    if let Some(rest) = shown.strip_prefix("~/.local/state/zt/run/") {
        shown = format!("$XDG_RUNTIME_DIR/zt/{rest}");
    }
    for g in grants {
        shown = shown.replace(g.as_str(), "GRANT");
    }
    shown.replace("tokens/default.json", "tokens/PROFILE.json")
}

/// Whether a FILES row names `shown`: one of its comma-separated paths (`else` and
/// parenthesised words aside) is it, holds it as a directory (`…/`), or matches it with `*`.
fn row_names(row: &str, shown: &str) -> bool {
    row.split(", ").any(|part| {
        let part = part.trim_start_matches("else ");
        let part = part.split(" (").next().unwrap_or(part).trim();
        match part.split_once('*') {
            Some((head, tail)) => {
                shown.starts_with(head)
                    && shown.ends_with(tail)
                    && !shown[head.len()..].contains('/')
            }
            None if part.ends_with('/') => shown.starts_with(part),
            None => part == shown,
        }
    })
}

#[test]
fn readme_documents_every_exit_code_and_variable() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for (code, _) in zt::error::ErrorKind::TABLE {
        assert!(
            readme.contains(&format!("| {code} |")),
            "README lacks exit code {code}"
        );
    }
    for (var, _) in zt::env::DOCUMENTED {
        assert!(readme.contains(&format!("`{var}`")), "README lacks {var}");
    }
}

// ------------------------------------------------------------------------------- examples

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
