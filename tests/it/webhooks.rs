//! `[[webhook]]` in a real `zt-broker serve`: a local HTTP listener receives each event in the
//! format its webhook asks for — the Slack Block Kit message with a "Review" button linking to
//! the request's review page and the approver group, the `{"text"}` line, the event as JSON —
//! and a denial's comment of several lines arrives escaped (no typed mention or link), signed
//! over the exact bytes sent.
//!
//! People sign in at a `zt-broker dev` whose OpenID provider the served broker trusts.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::broker::Broker;
use crate::common::serve::{Login, Replica, fetch_json};
use crate::common::{Home, eventually};

/// One POST the listener got: its path, signature header and JSON body.
#[derive(Debug, Clone)]
struct Delivery {
    path: String,
    signature: Option<String>,
    raw: Vec<u8>,
    body: Value,
}

/// A listener on 127.0.0.1:0 that answers every POST `200 ok` (as Slack does) and hands what
/// it got to the test.
fn listener() -> (String, mpsc::Receiver<Delivery>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut conn) = conn else { continue };
            let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
            if let Some(d) = read_post(&mut conn) {
                let _ = conn.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                );
                if tx.send(d).is_err() {
                    break;
                }
            }
        }
    });
    (url, rx)
}

fn read_post(conn: &mut TcpStream) -> Option<Delivery> {
    let mut data = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = conn.read(&mut buf).ok()?;
        if n == 0 || data.len() > 1 << 20 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_string();
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    };
    let len: usize = header("content-length")?.parse().ok()?;
    while data.len() < head_end + len {
        let n = conn.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
    }
    let raw = data[head_end..head_end + len].to_vec();
    Some(Delivery {
        path: head.split(' ').nth(1)?.to_string(),
        signature: header("x-zt-signature"),
        body: serde_json::from_slice(&raw).ok()?,
        raw,
    })
}

fn config(login: &Login, hooks: &str) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"

[store]
url = "sqlite://zt.db"

{login}
[[webhook]]
url = "{hooks}/slack"
format = "slack"
secret_env = "ZT_TEST_WEBHOOK_SECRET"

[[webhook]]
url = "{hooks}/text"
format = "text"
events = ["request.created", "request.decided"]

[[webhook]]
url = "{hooks}/json"
events = ["request.created", "request.decided"]

[[catalog.resource]]
name = "prod-k8s"
kind = "kubernetes"
default_role = "admin"
max_ttl = "1h"
requester_groups = ["engineering"]
settings = {{ issuer = "dev", server = "https://k8s.example.com:6443" }}

[[catalog.resource.role]]
name = "admin"
approver_groups = ["sre-leads"]
"#,
        login = login.toml(),
    )
}

/// The next deliveries until `want` of them arrived (or 20 s passed).
fn collect(rx: &mpsc::Receiver<Delivery>, want: usize) -> Vec<Delivery> {
    let mut got = Vec::new();
    let _ = eventually(Duration::from_secs(20), || {
        while let Ok(d) = rx.try_recv() {
            got.push(d);
        }
        got.len() >= want
    });
    got
}

fn find<'a>(got: &'a [Delivery], path: &str, event_text: &str) -> &'a Delivery {
    got.iter()
        .find(|d| {
            d.path == path
                && d.body["text"]
                    .as_str()
                    .is_some_and(|t| t.contains(event_text))
        })
        .unwrap_or_else(|| panic!("no {path} delivery saying {event_text:?} in {got:#?}"))
}

#[test]
fn webhooks_post_slack_blocks_with_a_review_button_the_text_line_and_the_json_event() {
    let idp = Broker::start(&[]);
    let login = Login::discover(&idp.url);
    let (alice, bob) = (login.token("alice"), login.token("bob"));
    let (hooks, rx) = listener();
    let home = Home::new();
    let cfg = home.path().join("broker.toml");
    std::fs::write(&cfg, config(&login, &hooks)).unwrap();
    let broker = Replica::start(&home, &cfg, &[("ZT_TEST_WEBHOOK_SECRET", "s3cret")]);
    let c = reqwest::Client::new();

    let created = fetch_json(
        c.post(format!("{}/v1/requests", broker.url))
            .bearer_auth(&alice)
            .header("Idempotency-Key", "webhook-e2e-1")
            .json(
                &json!({"resource": "prod-k8s", "role": "admin", "ttl_secs": 1800,
                          "reason": "INC-7 <!channel>", "ticket": "INC-7"}),
            ),
    );
    let id = created["id"].as_str().unwrap().to_string();
    // No public_url: the review link's base is the URL the broker serves.
    let review = format!("{}/review/{id}", broker.url);
    assert_eq!(created["review_url"], review.as_str(), "{created}");

    let first = collect(&rx, 3);
    let slack = find(&first, "/slack", "asked for");
    let b = &slack.body;
    let blocks = b["blocks"].as_array().unwrap();
    let facts = blocks[0]["fields"].to_string();
    assert!(
        blocks[0]["text"]["text"]
            .as_str()
            .unwrap()
            .contains("from *sre-leads* needed"),
        "{b:#}"
    );
    assert!(
        facts.contains("sre-leads") && facts.contains("30m"),
        "{facts}"
    );
    let button = blocks
        .iter()
        .find(|x| x["type"] == "actions")
        .map(|x| &x["elements"][0])
        .unwrap_or_else(|| panic!("no Review button: {b:#}"));
    assert_eq!(button["text"]["text"], "Review");
    assert_eq!(button["url"], review.as_str());
    assert!(!slack.raw.windows(9).any(|w| w == b"<!channel"), "{b:#}");
    // Signed over the exact bytes posted.
    let sig = zt_broker::webhooks::signature(b"s3cret", &slack.raw);
    assert_eq!(slack.signature.as_deref(), Some(sig.as_str()));
    let text = find(&first, "/text", "asked for");
    assert_eq!(text.body.as_object().unwrap().len(), 1, "{:#}", text.body);
    assert!(
        text.body["text"]
            .as_str()
            .unwrap()
            .contains("waiting for approval by sre-leads"),
        "{:#}",
        text.body
    );
    let event = find(&first, "/json", "asked for");
    assert_eq!(event.body["event"], "request.created");
    assert_eq!(event.body["request"]["id"], id.as_str());
    assert_eq!(event.body["request"]["review_url"], review.as_str());

    // bob denies with a comment of two lines that tries to ping the channel and link.
    let comment = "use view\ninstead <!here> <https://evil.example|approve>";
    let denied = fetch_json(
        c.post(format!("{}/v1/requests/{id}/deny", broker.url))
            .bearer_auth(&bob)
            .json(&json!({ "comment": comment })),
    );
    assert_eq!(denied["state"], "denied", "{denied}");
    assert!(denied.get("review_url").is_none(), "{denied}");
    let second = collect(&rx, 3);
    let slack = find(&second, "/slack", "denied");
    let blocks = slack.body["blocks"].as_array().unwrap();
    let quoted = blocks
        .iter()
        .filter_map(|x| x["text"]["text"].as_str())
        .find(|t| t.starts_with("*Comment from bob@example.com*"))
        .unwrap_or_else(|| panic!("no comment: {:#}", slack.body));
    assert_eq!(
        quoted,
        "*Comment from bob@example.com*\n>use view\n>instead &lt;!here&gt; \
         &lt;https://evil.example|approve&gt;"
    );
    assert!(blocks.iter().all(|x| x["type"] != "actions"));
    let text = find(&second, "/text", "denied");
    assert!(
        text.body["text"].as_str().unwrap().contains(
            "denied alice@example.com's request for *prod-k8s/admin*: “use view / instead &lt;!here&gt;"
        ),
        "{:#}",
        text.body
    );
    let event = find(&second, "/json", "denied");
    assert_eq!(event.body["event"], "request.decided");
    assert_eq!(event.body["request"]["decision_comment"], comment);
}
