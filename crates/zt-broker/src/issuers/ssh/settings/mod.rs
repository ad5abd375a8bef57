//! An `ssh` resource's settings (the resource's overlaid with the role's), checked strictly:
//! whatever reaches a certificate, a client's `~/.ssh/config` or its known_hosts file is refused
//! when it holds whitespace, a newline, an ssh `%` token or another character that would change
//! what those files mean. Each error names the setting.

use std::net::IpAddr;

/// The keys an `ssh` resource or role may set.
const KEYS: &[&str] = &[
    "issuer",
    "host",
    "hosts",
    "port",
    "user",
    "principals",
    "force_command",
    "source_address",
    "permit_pty",
    "permit_agent_forwarding",
    "permit_port_forwarding",
    "permit_x11_forwarding",
    "permit_user_rc",
    "known_hosts",
];

/// What one role of an `ssh` resource gets.
#[derive(Debug, Clone, PartialEq)]
pub struct SshSettings {
    /// Where the client connects (HostName): a host name or an IP address.
    pub host: String,
    /// More hosts the certificate is for, as ssh_config `Host` patterns (`web-*.prod.example.com`,
    /// `10.1.2.?`, `!bastion.prod.example.com`): the client's config gives them its key too.
    pub hosts: Vec<String>,
    pub port: u16,
    /// The remote login user the client is given; one of `principals`.
    pub user: String,
    /// The certificate's principals (the remote users it may log in as).
    pub principals: Vec<String>,
    pub force_command: Option<String>,
    pub source_address: Option<String>,
    pub permit_pty: bool,
    pub permit_agent_forwarding: bool,
    pub permit_port_forwarding: bool,
    pub permit_x11_forwarding: bool,
    pub permit_user_rc: bool,
    /// known_hosts lines for the host.
    pub known_hosts: Vec<String>,
}

impl SshSettings {
    /// Read and check `t`; `what` (`resource/role`) starts every error.
    pub fn from_table(t: &toml::Table, what: &str) -> Result<Self, String> {
        let err = |key: &str, msg: String| format!("{what}: settings.{key}: {msg}");
        if let Some(k) = t.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(format!(
                "{what}: settings.{k}: not an ssh setting (known: {})",
                KEYS.join(", ")
            ));
        }
        let string = |key: &str| -> Result<Option<String>, String> {
            match t.get(key) {
                None => Ok(None),
                Some(v) => v
                    .as_str()
                    .map(|s| Some(s.to_string()))
                    .ok_or_else(|| err(key, "must be a string".into())),
            }
        };
        let flag = |key: &str, default: bool| -> Result<bool, String> {
            match t.get(key) {
                None => Ok(default),
                Some(v) => v
                    .as_bool()
                    .ok_or_else(|| err(key, "must be true or false".into())),
            }
        };
        let list = |key: &str| -> Result<Vec<String>, String> {
            match t.get(key) {
                None => Ok(vec![]),
                Some(toml::Value::String(s)) => Ok(vec![s.clone()]),
                Some(toml::Value::Array(a)) => a
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .ok_or_else(|| err(key, "must be a list of strings".into()))
                    })
                    .collect(),
                Some(_) => Err(err(key, "must be a list of strings".into())),
            }
        };

        let host = string("host")?.ok_or_else(|| {
            err(
                "host",
                "missing: the host name or address the client connects to".into(),
            )
        })?;
        check_host(&host).map_err(|m| err("host", m))?;
        let hosts = list("hosts")?;
        if hosts.len() > 64 {
            return Err(err("hosts", "more than 64 patterns".into()));
        }
        for h in &hosts {
            check_config_pattern(h).map_err(|m| err("hosts", m))?;
        }
        if !hosts.is_empty() && hosts.iter().all(|h| h.starts_with('!')) {
            return Err(err(
                "hosts",
                "only negated patterns: they match no host on their own".into(),
            ));
        }
        let port = match t.get("port") {
            None => 22,
            Some(v) => v
                .as_integer()
                .and_then(|p| u16::try_from(p).ok())
                .filter(|p| *p > 0)
                .ok_or_else(|| err("port", "must be a port number (1-65535)".into()))?,
        };
        let principals = list("principals")?;
        if principals.is_empty() {
            return Err(err(
                "principals",
                "missing: the remote users the certificate may log in as".into(),
            ));
        }
        for p in &principals {
            check_principal(p).map_err(|m| err("principals", m))?;
        }
        let user = match string("user")? {
            Some(u) => {
                check_principal(&u).map_err(|m| err("user", m))?;
                if !principals.contains(&u) {
                    return Err(err(
                        "user",
                        format!("{u:?} is not one of the principals {principals:?}"),
                    ));
                }
                u
            }
            None => principals[0].clone(),
        };
        let force_command = string("force_command")?;
        if let Some(c) = &force_command {
            check_command(c).map_err(|m| err("force_command", m))?;
        }
        let source_address = string("source_address")?;
        if let Some(a) = &source_address {
            check_source_address(a).map_err(|m| err("source_address", m))?;
        }
        let known_hosts = list("known_hosts")?;
        for line in &known_hosts {
            check_known_hosts_line(line).map_err(|m| err("known_hosts", m))?;
        }
        Ok(Self {
            host,
            hosts,
            port,
            user,
            principals,
            force_command,
            source_address,
            permit_pty: flag("permit_pty", true)?,
            permit_agent_forwarding: flag("permit_agent_forwarding", false)?,
            permit_port_forwarding: flag("permit_port_forwarding", false)?,
            permit_x11_forwarding: flag("permit_x11_forwarding", false)?,
            permit_user_rc: flag("permit_user_rc", false)?,
            known_hosts,
        })
    }

    /// The certificate's critical options, as OpenSSH names them.
    pub fn critical_options(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(c) = &self.force_command {
            out.push(("force-command".to_string(), c.clone()));
        }
        if let Some(a) = &self.source_address {
            out.push(("source-address".to_string(), a.clone()));
        }
        out
    }

    /// The certificate's extensions: only what the role allows.
    pub fn extensions(&self) -> Vec<String> {
        [
            (self.permit_agent_forwarding, "permit-agent-forwarding"),
            (self.permit_port_forwarding, "permit-port-forwarding"),
            (self.permit_pty, "permit-pty"),
            (self.permit_user_rc, "permit-user-rc"),
            (self.permit_x11_forwarding, "permit-X11-forwarding"),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| name.to_string())
        .collect()
    }
}

/// How a character that must not be there is named in an error.
fn named(c: char) -> String {
    match c {
        ' ' | '\t' => "whitespace".into(),
        '\n' | '\r' => "a newline".into(),
        '%' => "'%' (an ssh token)".into(),
        c if c.is_control() => format!("a control character {:?}", c),
        c => format!("{c:?}"),
    }
}

/// A login name: letters, digits and `._@+-`, not starting with `-`, at most 255 bytes.
pub fn check_principal(p: &str) -> Result<(), String> {
    if p.is_empty() {
        return Err("a principal is empty".into());
    }
    if p.len() > 255 {
        let start: String = p.chars().take(16).collect();
        return Err(format!("{start:?}… is longer than 255 bytes"));
    }
    if let Some(c) = p
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._@+-".contains(*c)))
    {
        return Err(format!("{p:?} holds {}", named(c)));
    }
    if p.starts_with('-') {
        return Err(format!("{p:?} starts with '-'"));
    }
    Ok(())
}

/// A host name or IP address zt writes as `HostName`: letters, digits, `.-_:`, no leading
/// `-`, at most 253 bytes. No wildcard: the client connects to it.
pub fn check_host(h: &str) -> Result<(), String> {
    if h.is_empty() {
        return Err("the host is empty".into());
    }
    if h.len() > 253 {
        return Err("the host is longer than 253 bytes".into());
    }
    if let Some(c) = h
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || ".-_:".contains(*c)))
    {
        return Err(format!("{h:?} holds {}", named(c)));
    }
    if h.starts_with('-') {
        return Err(format!("{h:?} starts with '-'"));
    }
    Ok(())
}

/// One ssh_config `Host` pattern: a host name or address with `*` and `?` wildcards, negated
/// by a leading `!` — letters, digits, `.-_:*?`, nothing ssh_config would read as a separator,
/// a quote or a `%` token; at most 253 bytes.
pub fn check_config_pattern(p: &str) -> Result<(), String> {
    let bare = p.strip_prefix('!').unwrap_or(p);
    if bare.is_empty() {
        return Err("a host pattern is empty".into());
    }
    if bare.len() > 253 {
        return Err("a host pattern is longer than 253 bytes".into());
    }
    if let Some(c) = bare
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || ".-_:*?".contains(*c)))
    {
        return Err(format!("host pattern {p:?} holds {}", named(c)));
    }
    if bare.starts_with('-') {
        return Err(format!("host pattern {p:?} starts with '-'"));
    }
    Ok(())
}

/// One host pattern of a known_hosts line (`*.prod.example.com`, `[10.0.0.5]:2222`,
/// `!bastion`, a hashed `|1|salt|hash`): no whitespace, newline, `%` or other separator.
pub fn check_host_pattern(p: &str) -> Result<(), String> {
    if p.is_empty() {
        return Err("a host pattern is empty".into());
    }
    if let Some(c) = p
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || ".-_:*?![]|=/+".contains(*c)))
    {
        return Err(format!("host pattern {p:?} holds {}", named(c)));
    }
    Ok(())
}

/// `[@cert-authority|@revoked] PATTERNS KEYTYPE BASE64 [COMMENT]` on one line.
pub fn check_known_hosts_line(line: &str) -> Result<(), String> {
    if let Some(c) = line.chars().find(|c| c.is_control()) {
        return Err(format!("a line holds {}", named(c)));
    }
    let mut fields = line.split(' ').filter(|f| !f.is_empty());
    let mut first = fields.next().unwrap_or("");
    if first.starts_with('@') {
        if first != "@cert-authority" && first != "@revoked" {
            return Err(format!(
                "unknown marker {first:?} (@cert-authority or @revoked)"
            ));
        }
        first = fields.next().unwrap_or("");
    }
    for p in first.split(',') {
        check_host_pattern(p)?;
    }
    let key = format!(
        "{} {}",
        fields.next().unwrap_or(""),
        fields.next().unwrap_or("")
    );
    ssh_key::PublicKey::from_openssh(&key)
        .map_err(|_| format!("{line:?} is not PATTERNS KEYTYPE KEY [COMMENT]"))?;
    Ok(())
}

/// A `force-command`: one line of printable text.
pub fn check_command(c: &str) -> Result<(), String> {
    if c.trim().is_empty() {
        return Err("the command is empty".into());
    }
    if let Some(ch) = c.chars().find(|ch| ch.is_control()) {
        return Err(format!("the command holds {}", named(ch)));
    }
    Ok(())
}

/// A `source-address`: comma-separated addresses or CIDR blocks, nothing else.
pub fn check_source_address(a: &str) -> Result<(), String> {
    for part in a.split(',') {
        let (addr, bits) = match part.split_once('/') {
            Some((addr, bits)) => (addr, Some(bits)),
            None => (part, None),
        };
        let ip: IpAddr = addr
            .parse()
            .map_err(|_| format!("{part:?} is not an address or CIDR block"))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        if let Some(bits) = bits
            && !bits.parse::<u8>().is_ok_and(|b| b <= max)
        {
            return Err(format!("{part:?}: the prefix length is not 0-{max}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
