//! Processes with a time limit: a test that drives a real peer must fail, not hang, when a
//! process stops answering. Output is read on threads so a chatty child never blocks on a full
//! pipe.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::Out;

/// Run `cmd` (stdin null, stdout and stderr captured), killing it after `limit`.
#[track_caller]
pub(crate) fn run_for(mut cmd: Command, limit: Duration) -> Out {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let what = format!("{cmd:?}");
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let out = read_all(child.stdout.take().unwrap());
    let err = read_all(child.stderr.take().unwrap());
    let code = wait_for(&mut child, limit).unwrap_or_else(|| {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "{what} did not finish within {limit:?}\nstderr so far:\n{}",
            err.recv_timeout(Duration::from_secs(2)).unwrap_or_default()
        )
    });
    Out {
        code,
        stdout: out.recv_timeout(limit).unwrap_or_default(),
        stderr: err.recv_timeout(limit).unwrap_or_default(),
    }
}

/// Wait at most `limit` for `child` to exit; its exit code (-1 when killed by a signal).
pub(crate) fn wait_for(child: &mut Child, limit: Duration) -> Option<i32> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status.code().unwrap_or(-1));
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The whole of a pipe, read on its own thread.
pub(crate) fn read_all(mut r: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        let _ = tx.send(String::from_utf8_lossy(&buf).into_owned());
    });
    rx
}

/// A pipe's lines as they come, read on their own thread.
pub(crate) fn lines(r: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Read lines from `rx` until `f` returns `Some`, at most `limit`; everything seen is
/// appended to `seen`.
pub(crate) fn until_line<T>(
    rx: &mpsc::Receiver<String>,
    limit: Duration,
    seen: &mut String,
    mut f: impl FnMut(&str) -> Option<T>,
) -> Option<T> {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        let line = rx.recv_timeout(left).ok()?;
        seen.push_str(&line);
        seen.push('\n');
        if let Some(v) = f(&line) {
            return Some(v);
        }
    }
}
