//! The few messages of the ssh-agent protocol zt sends (draft-miller-ssh-agent, OpenSSH's
//! PROTOCOL.agent) over the agent's Unix socket: add a key with its certificate and a
//! lifetime (`SSH2_AGENTC_ADD_ID_CONSTRAINED` with `SSH_AGENT_CONSTRAIN_LIFETIME`, so the agent
//! itself forgets it at the grant's end), remove it (`SSH_AGENTC_REMOVE_IDENTITY`), list keys
//! (`SSH2_AGENTC_REQUEST_IDENTITIES`). Every call has a time limit and a bounded answer, so a
//! wedged or hostile socket costs seconds, never a hang.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use super::{CheckedCert, GrantKey};

const REQUEST_IDENTITIES: u8 = 11;
const IDENTITIES_ANSWER: u8 = 12;
const REMOVE_IDENTITY: u8 = 18;
const ADD_ID_CONSTRAINED: u8 = 25;
const FAILURE: u8 = 5;
const SUCCESS: u8 = 6;
const CONSTRAIN_LIFETIME: u8 = 1;

/// A whole exchange with the agent (connect, write, read) takes at most this long.
const TIMEOUT: Duration = Duration::from_secs(5);
/// OpenSSH's own bound on an agent message (AGENT_MAX_LEN).
const MAX_MESSAGE: usize = 256 * 1024;

#[derive(Debug)]
pub enum AgentError {
    /// No agent listens there (gone, or never was): nothing in it to remove.
    Gone(std::io::Error),
    /// The agent answered SSH_AGENT_FAILURE (a locked agent, a key it does not hold).
    Refused,
    /// Anything else: a time-out, an answer that is not the protocol.
    Broken(String),
}

impl std::fmt::Display for AgentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AgentError::Gone(e) => write!(f, "no ssh-agent answers there ({e})"),
            AgentError::Refused => f.write_str("the ssh-agent refused"),
            AgentError::Broken(why) => write!(f, "the ssh-agent misbehaved: {why}"),
        }
    }
}

fn put_string(buf: &mut Vec<u8>, s: &[u8]) {
    buf.extend_from_slice(&(s.len() as u32).to_be_bytes());
    buf.extend_from_slice(s);
}

/// One request, one answer.
fn exchange(socket: &Path, msg: &[u8]) -> Result<Vec<u8>, AgentError> {
    let mut s = UnixStream::connect(socket).map_err(AgentError::Gone)?;
    let broken = |e: std::io::Error| AgentError::Broken(e.to_string());
    s.set_read_timeout(Some(TIMEOUT)).map_err(broken)?;
    s.set_write_timeout(Some(TIMEOUT)).map_err(broken)?;
    let mut framed = Vec::with_capacity(msg.len() + 4);
    put_string(&mut framed, msg);
    let sent = s.write_all(&framed);
    framed.fill(0);
    sent.map_err(broken)?;
    let mut len = [0u8; 4];
    s.read_exact(&mut len).map_err(broken)?;
    let len = u32::from_be_bytes(len) as usize;
    if len == 0 || len > MAX_MESSAGE {
        return Err(AgentError::Broken(format!("an answer of {len} bytes")));
    }
    let mut answer = vec![0u8; len];
    s.read_exact(&mut answer).map_err(broken)?;
    Ok(answer)
}

fn expect_success(answer: &[u8]) -> Result<(), AgentError> {
    match answer.first() {
        Some(&SUCCESS) => Ok(()),
        Some(&FAILURE) => Err(AgentError::Refused),
        Some(t) => Err(AgentError::Broken(format!("answer type {t}"))),
        None => Err(AgentError::Broken("an empty answer".into())),
    }
}

/// Give the agent `key` with its certificate, to be forgotten after `lifetime_secs`.
pub fn add(
    socket: &Path,
    key: &GrantKey,
    cert: &CheckedCert,
    comment: &str,
    lifetime_secs: u32,
) -> Result<(), AgentError> {
    let Some((mut secret, public)) = key.ed25519_parts() else {
        return Err(AgentError::Broken("not an Ed25519 key".into()));
    };
    let mut msg = vec![ADD_ID_CONSTRAINED];
    put_string(&mut msg, b"ssh-ed25519-cert-v01@openssh.com");
    put_string(&mut msg, &cert.blob);
    put_string(&mut msg, &public);
    put_string(&mut msg, &secret);
    secret.fill(0);
    put_string(&mut msg, comment.as_bytes());
    msg.push(CONSTRAIN_LIFETIME);
    msg.extend_from_slice(&lifetime_secs.max(1).to_be_bytes());
    let r = exchange(socket, &msg);
    msg.fill(0);
    expect_success(&r?)
}

/// Remove the identity whose public blob is `blob` (a certificate's, or a plain key's). A key the
/// agent does not hold (gone at its lifetime, removed by hand) is not an error.
pub fn remove(socket: &Path, blob: &[u8]) -> Result<(), AgentError> {
    let mut msg = vec![REMOVE_IDENTITY];
    put_string(&mut msg, blob);
    match exchange(socket, &msg).and_then(|a| expect_success(&a)) {
        Err(AgentError::Refused) => Ok(()),
        other => other,
    }
}

/// The public blobs and comments of the agent's identities.
pub fn list(socket: &Path) -> Result<Vec<(Vec<u8>, String)>, AgentError> {
    let a = exchange(socket, &[REQUEST_IDENTITIES])?;
    let bad = || AgentError::Broken("an identities answer that does not parse".into());
    let mut r = Reader(&a);
    if r.byte().ok_or_else(bad)? != IDENTITIES_ANSWER {
        return Err(bad());
    }
    let n = r.u32().ok_or_else(bad)?;
    let mut out = Vec::new();
    for _ in 0..n {
        let blob = r.string().ok_or_else(bad)?.to_vec();
        let comment = String::from_utf8_lossy(r.string().ok_or_else(bad)?).into_owned();
        out.push((blob, comment));
    }
    Ok(out)
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*b)
    }
    fn u32(&mut self) -> Option<u32> {
        let (n, rest) = self.0.split_first_chunk::<4>()?;
        self.0 = rest;
        Some(u32::from_be_bytes(*n))
    }
    fn string(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        let s = self.0.get(..n)?;
        self.0 = &self.0[n..];
        Some(s)
    }
}
