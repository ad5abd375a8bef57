//! The README's quick start and approval flow, run as written: the commands are read from
//! README.md's "Quick start" section (its ```sh blocks), so the text and the test cannot drift.
//! Each runs through `sh -c` in a sealed HOME with the built `zt` and `zt-broker` first on PATH.
//!
//! What differs from a person's machine, and why: `./install.sh` and the `export PATH=…` after
//! it are skipped (the built binaries are on PATH already; a release build takes minutes), and
//! `zt-broker dev` gets `--port 0` (tests run in parallel and cannot share port 8421). The
//! request `ID` placeholder becomes the id alice's waiting `zt request` printed.

use std::io::Read;
use std::process::{Child, Stdio};
use std::time::Duration;

use crate::common::procs::{lines, run_for, until_line, wait_for};
use crate::common::{Home, Out};

const LIMIT: Duration = Duration::from_secs(60);

/// The ```sh blocks of the README section headed `heading`, each as its lines.
fn sh_blocks(readme: &str, heading: &str) -> Vec<Vec<String>> {
    let start = readme
        .find(heading)
        .unwrap_or_else(|| panic!("README has no {heading:?}"));
    let section = &readme[start + heading.len()..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let mut blocks = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for line in section.lines() {
        match (&mut current, line.trim()) {
            (None, "```sh") => current = Some(vec![]),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some(b), l) if !l.is_empty() => b.push(l.to_string()),
            _ => {}
        }
    }
    blocks
}

struct Shell {
    home: Home,
    bin: tempfile::TempDir,
}

impl Shell {
    fn new() -> Shell {
        let bin = tempfile::Builder::new()
            .prefix("zt-readme-bin-")
            .tempdir()
            .unwrap();
        for (name, exe) in [
            ("zt", crate::common::zt_bin()),
            ("zt-broker", crate::common::broker_bin()),
        ] {
            std::os::unix::fs::symlink(exe, bin.path().join(name)).unwrap();
        }
        Shell {
            home: Home::new(),
            bin,
        }
    }

    fn sh(&self, line: &str) -> std::process::Command {
        let mut c = self.home.cmd("sh");
        let path = format!(
            "{}:{}",
            self.bin.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        c.args(["-c", line]).env("PATH", path).env("ZT_REAPER", "0");
        c
    }

    #[track_caller]
    fn run(&self, line: &str) -> Out {
        let out = run_for(self.sh(line), LIMIT);
        assert_eq!(out.code, 0, "README line failed: {line}\n{out:#?}");
        out
    }
}

impl Drop for Shell {
    fn drop(&mut self) {
        let _ = run_for(self.sh("zt-broker dev stop"), LIMIT);
    }
}

#[test]
fn the_quick_start_and_the_approval_flow_run_as_written() {
    let readme = std::fs::read_to_string(concat!(
        concat!(env!("CARGO_MANIFEST_DIR"), "/.."),
        "/README.md"
    ))
    .unwrap();
    let blocks = sh_blocks(&readme, "## Quick start");
    assert_eq!(
        blocks.len(),
        3,
        "the quick start, alice's request, bob's approval: {blocks:?}"
    );
    let shell = Shell::new();

    // The one-command quick start, one `&&` step at a time.
    let [quick] = blocks[0].as_slice() else {
        panic!("the quick start is one line: {:?}", blocks[0])
    };
    let steps: Vec<&str> = quick.split(" && ").collect();
    assert_eq!(steps[0], "./install.sh");
    assert!(steps[1].starts_with("export PATH="), "{}", steps[1]);
    for step in &steps[2..] {
        let line = step.replace("zt-broker dev", "zt-broker dev --port 0");
        let out = shell.run(&line);
        if step.starts_with("zt login") {
            assert!(
                !out.stderr.contains("browser") && !out.stderr.contains("one-time code"),
                "with --auto-login nobody is sent to a browser: {}",
                out.stderr
            );
            assert!(out.stderr.contains("as alice@"), "{}", out.stderr);
        }
    }
    let granted = shell.run("zt status --json");
    assert!(granted.stdout.contains("prod-k8s"), "{}", granted.stdout);

    // alice's request waits for an approver; its id comes first on stderr.
    let [ask] = blocks[1].as_slice() else {
        panic!("alice's request is one line: {:?}", blocks[1])
    };
    let mut waiting: Child = shell
        .sh(ask)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = lines(waiting.stderr.take().unwrap());
    let mut seen = String::new();
    let id = until_line(&err, LIMIT, &mut seen, |l| {
        l.strip_prefix("Request ")
            .and_then(|r| r.split_whitespace().next())
            .map(str::to_string)
    })
    .unwrap_or_else(|| panic!("no 'Request ID …' line from {ask}:\n{seen}"));

    // bob, in his own profile: logged in as himself, sees it, approves it.
    for line in &blocks[2] {
        let bare = line.split(" #").next().unwrap().trim();
        let cmd = bare.strip_suffix(" ID").map(|c| format!("{c} {id}"));
        let out = shell.run(cmd.as_deref().unwrap_or(line));
        if bare.contains(" login ") {
            assert!(out.stderr.contains("as bob@"), "bob is bob: {}", out.stderr);
        }
        if bare.ends_with(" inbox") {
            assert!(
                out.stdout.contains(&id),
                "bob's inbox lacks {id}: {out:#?}\n{seen}"
            );
        }
    }

    let code = wait_for(&mut waiting, LIMIT);
    let mut rest = String::new();
    let _ = waiting.stdout.take().unwrap().read_to_string(&mut rest);
    while let Ok(l) = err.recv_timeout(Duration::from_millis(200)) {
        seen.push_str(&l);
        seen.push('\n');
    }
    assert_eq!(
        code,
        Some(0),
        "alice's request completes after bob's approval:\n{seen}{rest}"
    );
    let status = shell.run("zt status --json");
    assert!(status.stdout.contains(&id), "{}", status.stdout);
}
