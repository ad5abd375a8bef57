//! A tiny HTTP/1.1 server on 127.0.0.1:0 that answers every request with what a test says — for
//! identity providers that misbehave (HTML, garbage, huge documents). Not a peer: it stands for
//! a broken server, which no real provider will be on purpose. Stopped on drop.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// One answer.
pub(crate) struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// Send the body chunked, without a Content-Length (so a client cannot refuse it early).
    pub chunked: bool,
}

impl Reply {
    pub(crate) fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            content_type,
            body: body.into(),
            chunked: false,
        }
    }

    pub(crate) fn json(body: impl Into<Vec<u8>>) -> Reply {
        Reply::new(200, "application/json", body)
    }
}

pub(crate) struct TinyServer {
    pub url: String,
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TinyServer {
    /// `answer(base_url, path)` is called for every request.
    pub(crate) fn start(answer: impl Fn(&str, &str) -> Reply + Send + 'static) -> TinyServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let url = format!("http://{addr}");
        let stop = Arc::new(AtomicBool::new(false));
        let (stop2, base) = (stop.clone(), url.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
                let _ = conn.set_write_timeout(Some(Duration::from_secs(5)));
                let Some(path) = read_request_path(&mut conn) else {
                    continue;
                };
                let reply = answer(&base, &path);
                let _ = write_reply(&mut conn, &reply);
            }
        });
        TinyServer {
            url,
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

/// Reads the request head (bodies are ignored) and returns the path.
fn read_request_path(conn: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = conn.read(&mut buf).ok()?;
        if n == 0 || head.len() > 64 * 1024 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    text.lines()
        .next()?
        .split(' ')
        .nth(1)
        .map(|p| p.split('?').next().unwrap_or(p).to_string())
}

fn write_reply(conn: &mut TcpStream, r: &Reply) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} X\r\ncontent-type: {}\r\nconnection: close\r\n",
        r.status, r.content_type
    );
    if r.chunked {
        head.push_str("transfer-encoding: chunked\r\n\r\n");
        conn.write_all(head.as_bytes())?;
        for chunk in r.body.chunks(64 * 1024) {
            conn.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())?;
            conn.write_all(chunk)?;
            conn.write_all(b"\r\n")?;
        }
        conn.write_all(b"0\r\n\r\n")?;
    } else {
        head.push_str(&format!("content-length: {}\r\n\r\n", r.body.len()));
        conn.write_all(head.as_bytes())?;
        conn.write_all(&r.body)?;
    }
    conn.flush()
}

impl Drop for TinyServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A 127.0.0.1 URL where nothing listens (a port just released).
pub(crate) fn dead_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    url
}
