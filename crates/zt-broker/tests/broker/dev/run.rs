//! `zt-broker dev` in the foreground (`src/dev/run.rs`), started in-process: it announces
//! itself in `dev-broker.json`, refuses a second instance, cleans up at shutdown, keeps a
//! `--data-dir`, and refuses a non-loopback listener or an unknown auto-login user.

use std::time::{Duration, Instant};

use clap::Parser;

use zt_broker::cli::{Cli, Command, DevArgs};
use zt_broker::dev::{run, statefile, wire};

fn args(extra: &[&str]) -> DevArgs {
    let mut argv = vec!["zt-broker", "dev", "--port", "0"];
    argv.extend_from_slice(extra);
    let Command::Dev(a) = Cli::parse_from(argv).command else {
        panic!("not dev")
    };
    a
}

async fn wait_for_file(state: &std::path::Path) -> statefile::DevBrokerFile {
    let started = Instant::now();
    loop {
        if let Some(f) = statefile::read(state) {
            return f;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no dev-broker.json"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn dev_announces_itself_and_cleans_up_at_shutdown() {
    let state = tempfile::tempdir().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let dir = state.path().to_owned();
    let task = tokio::spawn(async move {
        run::run(&args(&[]), &dir, async move {
            let _ = rx.await;
        })
        .await
    });
    let f = wait_for_file(state.path()).await;
    assert_eq!(f.pid, std::process::id());
    assert!(f.url.starts_with("http://127.0.0.1:"), "{}", f.url);
    assert!(statefile::answers(&f.url).await);
    assert!(f.data_dir.join(wire::DB_FILE).exists());
    // A second dev broker refuses to start beside it.
    let second = run::run(&args(&[]), state.path(), async {}).await;
    assert!(second.unwrap_err().message.contains("already running"));

    tx.send(()).unwrap();
    task.await.unwrap().unwrap();
    assert!(
        statefile::read(state.path()).is_none(),
        "dev-broker.json removed"
    );
    assert!(
        !f.data_dir.exists(),
        "the temporary data directory is removed"
    );
}

#[tokio::test]
async fn a_kept_data_dir_survives_and_non_loopback_is_refused() {
    let state = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let data_arg = data.path().to_str().unwrap().to_owned();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let dir = state.path().to_owned();
    let a = args(&["--data-dir", &data_arg]);
    let task = tokio::spawn(async move {
        run::run(&a, &dir, async move {
            let _ = rx.await;
        })
        .await
    });
    let f = wait_for_file(state.path()).await;
    assert_eq!(f.data_dir, data.path());
    tx.send(()).unwrap();
    task.await.unwrap().unwrap();
    assert!(data.path().join(wire::DB_FILE).exists());
    assert!(data.path().join(wire::IDP_KEY_FILE).exists());
    use zt_broker::dev::k8s::tls::{CA_FILE, PORT_FILE};
    assert!(data.path().join(CA_FILE).exists() && data.path().join(PORT_FILE).exists());

    let e = run::run(&args(&["--listen", "0.0.0.0"]), state.path(), async {})
        .await
        .unwrap_err();
    assert_eq!(e.code, 2);
    let e = run::run(&args(&["--auto-login", "nobody"]), state.path(), async {})
        .await
        .unwrap_err();
    assert!(e.message.contains("nobody"), "{}", e.message);
}
