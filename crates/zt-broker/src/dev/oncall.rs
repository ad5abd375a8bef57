//! `zt-broker dev --oncall NAME=FEED [--oncall-at TIME]`: on-call schedules on the dev broker,
//! as `[oncall.NAME]` configures them for `serve` (refreshed every 5s, so an edited file shows
//! at once). `--oncall-at` fixes the instant on-call is evaluated at — a demo or a test shows
//! both sides of a hand-over without waiting for it.

// The banner's lines, as `run`'s: for the person who started it, on stderr.
#![allow(clippy::print_stderr)]

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::cli::DevArgs;
use crate::error::{Error, Result};
use crate::oncall::clock::{Clock, FixedClock, SystemClock};
use crate::oncall::refresh::Outcome;
use crate::oncall::{OnCall, Settings, Source};
use crate::state::Broker;

/// How often the dev broker re-reads its feeds.
const DEV_REFRESH: Duration = Duration::from_secs(5);

/// `NAME=FEED` → its settings: a URL when FEED has a scheme, else a file.
fn settings(spec: &str) -> Result<Settings> {
    let usage = |m: String| {
        Error::usage(format!("--oncall {spec:?}: {m}"))
            .with_hint("write --oncall NAME=FILE or --oncall NAME=https://…")
    };
    let (name, feed) = spec
        .split_once('=')
        .ok_or_else(|| usage("no '=' between the schedule's name and its feed".into()))?;
    let name = name.trim();
    if !crate::config::valid_oncall_name(name) {
        return Err(usage(
            "a schedule's name is 1 to 64 letters, digits, '-', '_' or '.'".into(),
        ));
    }
    let feed = feed.trim();
    let source = if feed.contains("://") {
        let text = match feed.strip_prefix("webcal://") {
            Some(rest) => format!("https://{rest}"),
            None => feed.to_owned(),
        };
        let url = reqwest::Url::parse(&text)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| usage("the feed is not an http(s) or webcal URL".into()))?;
        Source::Url(url)
    } else {
        Source::File(std::path::absolute(feed).map_err(|e| usage(e.to_string()))?)
    };
    let mut s = Settings::new(name, source);
    s.refresh = DEV_REFRESH;
    Ok(s)
}

/// Set the schedules on `broker`, read them once (a file that does not read stops the start;
/// a URL that fails is retried), and keep them current. `None` without `--oncall`.
pub async fn start(broker: &Arc<Broker>, args: &DevArgs) -> Result<Option<JoinHandle<()>>> {
    if args.oncall.is_empty() {
        return Ok(None);
    }
    let list = args
        .oncall
        .iter()
        .map(|s| settings(s))
        .collect::<Result<Vec<_>>>()?;
    let clock: Arc<dyn Clock> = match args.oncall_at {
        Some(at) => Arc::new(FixedClock(at)),
        None => Arc::new(SystemClock),
    };
    let oc = OnCall::new(list, clock);
    broker.set_oncall(Arc::clone(&oc));
    for (s, outcome) in oc.schedules.iter().zip(oc.refresh_all(&broker.store).await) {
        let from = s.settings.source.describe();
        match (outcome, &s.settings.source) {
            (Outcome::Failed(why), Source::File(_)) => {
                return Err(Error::usage(format!(
                    "--oncall {}: {from}: {why}",
                    s.settings.name
                )));
            }
            (Outcome::Failed(why), _) => {
                eprintln!(
                    "  on-call:  {} from {from}: {why} (retried)",
                    s.settings.name
                )
            }
            _ => eprintln!(
                "  on-call:  {} from {from}: on call now: {}",
                s.settings.name,
                match s.on_call_now(oc.now()).as_slice() {
                    [] => "nobody".to_string(),
                    who => who.join(", "),
                }
            ),
        }
    }
    if let Some(at) = args.oncall_at {
        eprintln!("  on-call:  evaluated at {} (--oncall-at)", at.to_rfc3339());
    }
    Ok(crate::oncall::refresh::spawn(broker))
}

/// `--oncall` and `--oncall-at` for the detached child (files made absolute).
pub fn forward(args: &DevArgs, cmd: &mut std::process::Command) -> Result<()> {
    for spec in &args.oncall {
        let s = settings(spec)?;
        let feed = match &s.source {
            Source::File(p) => p.display().to_string(),
            Source::Url(_) => spec
                .split_once('=')
                .map_or("", |(_, f)| f)
                .trim()
                .to_owned(),
        };
        cmd.arg("--oncall").arg(format!("{}={feed}", s.name));
    }
    if let Some(at) = args.oncall_at {
        cmd.args(["--oncall-at", &at.to_rfc3339()]);
    }
    Ok(())
}
