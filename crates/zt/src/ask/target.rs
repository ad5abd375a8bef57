//! Which grant a `GRANT|RESOURCE` argument means, for `zt exec`, `zt env`, `zt extend` and
//! `zt revoke` alike: a grant id as given, else the live grant of this profile on that resource
//! — this machine's ledger first (no network), then the broker's list of your grants. When
//! two match (two roles of one resource, two grants of one role), a person picks one and a
//! script gets an error listing them with their ids.

use crate::client::BrokerClient;
use crate::commands::Ctx;
use crate::error::{Error, ErrorKind, Result};
use crate::ledger::Ledger;
use crate::output::{field, human_secs};
use crate::{credcache, prompt};
use zt_api::{self as api, State, Timestamp};

/// The profile's broker client, made on first use: a grant found on this machine needs none.
pub struct Broker {
    profile: String,
    client: tokio::sync::OnceCell<BrokerClient>,
}

impl Broker {
    pub fn new(profile: &str) -> Self {
        Broker {
            profile: profile.to_owned(),
            client: tokio::sync::OnceCell::new(),
        }
    }

    pub async fn get(&self) -> Result<&BrokerClient> {
        self.client
            .get_or_try_init(|| async { Ok(BrokerClient::for_profile(&self.profile).await?.0) })
            .await
    }
}

/// What the command is after.
pub struct Wanted<'a> {
    /// The argument as typed.
    pub target: &'a str,
    /// Only grants of this role (`zt exec --role`).
    pub role: Option<&'a str>,
    /// Pending requests count too (`zt revoke` withdraws them).
    pub pending_too: bool,
    /// A grant with less left than this does not count (`zt exec` wants time to run).
    pub min_left_secs: i64,
    /// The command, for the "name one" hint (`env`, `revoke`…).
    pub command: &'a str,
}

/// A grant that matched.
#[derive(Debug, Clone, PartialEq)]
struct Candidate {
    id: String,
    role: String,
    /// Unix seconds; `None` for a pending request.
    expires_at: Option<i64>,
}

/// The grant id the argument names; `None`: no grant of yours is called so or lives on that
/// resource (the command decides: request one, or try it as an id that is over).
pub async fn resolve(w: &Wanted<'_>, broker: &Broker, ctx: &Ctx) -> Result<Option<String>> {
    if !api::valid_name(w.target) {
        return Err(Error::usage(format!(
            "{:?} is not a grant id or resource name",
            field(w.target)
        ))
        .with_hint("see `zt status` for your grants"));
    }
    let now = Timestamp::now().0;
    let ledger = Ledger::read()?;
    if credcache::load(w.target).is_some() || ledger.for_grant(w.target).next().is_some() {
        return Ok(Some(w.target.to_owned()));
    }
    let mut local: Vec<Candidate> = Vec::new();
    for e in ledger.entries.iter().filter(|e| {
        e.resource == w.target
            && e.profile == ctx.profile
            && e.expires_at > now + w.min_left_secs
            && w.role.is_none_or(|r| r == e.role)
    }) {
        if !local.iter().any(|c| c.id == e.grant) {
            local.push(Candidate {
                id: e.grant.clone(),
                role: e.role.clone(),
                expires_at: Some(e.expires_at),
            });
        }
    }
    if !local.is_empty() {
        return choose(w, local).map(Some);
    }
    let client = broker.get().await?;
    let states = if w.pending_too {
        "pending,approved,active"
    } else {
        "approved,active"
    };
    let mine = client
        .list_requests(&format!("requester=me&state={states}"))
        .await?;
    if mine.requests.iter().any(|r| r.id == w.target) {
        return Ok(Some(w.target.to_owned()));
    }
    let remote: Vec<Candidate> = mine
        .requests
        .iter()
        .filter(|r| r.resource == w.target && w.role.is_none_or(|role| role == r.role))
        .filter(|r| match r.state {
            State::Pending => w.pending_too,
            _ => r.expires_at.is_some_and(|t| t.0 > now + w.min_left_secs),
        })
        .map(|r| Candidate {
            id: r.id.clone(),
            role: r.role.clone(),
            expires_at: r
                .expires_at
                .filter(|_| r.state != State::Pending)
                .map(|t| t.0),
        })
        .collect();
    if remote.is_empty() {
        return Ok(None);
    }
    choose(w, remote).map(Some)
}

/// "no live grant of yours is called or on X", with the nearest names it could have meant
/// (the catalog's resources and your grants' when the broker answers).
pub async fn not_found(target: &str, broker: &Broker) -> Error {
    let mut known: Vec<String> = Ledger::read()
        .map(|l| l.entries.into_iter().map(|e| e.resource).collect())
        .unwrap_or_default();
    if let Ok(c) = broker.get().await
        && let Ok(cat) = c.catalog().await
    {
        known.extend(cat.resources.into_iter().map(|r| r.name));
    }
    known.sort();
    known.dedup();
    let near = super::suggest::did_you_mean(target, known.iter().map(String::as_str));
    let t = field(target);
    Error::new(
        ErrorKind::NotFound,
        format!("no live grant of yours is called or on {t}"),
    )
    .with_hint(super::suggest::with_suggestion(
        near,
        &format!("see `zt status`; `zt request {t}` asks for a new one"),
    ))
}

fn choose(w: &Wanted<'_>, mut found: Vec<Candidate>) -> Result<String> {
    if found.len() == 1 {
        return Ok(found.remove(0).id);
    }
    // The one that lasts longest first: the likeliest wanted, and the picker's default.
    found.sort_by_key(|c| std::cmp::Reverse(c.expires_at.unwrap_or(0)));
    let now = Timestamp::now().0;
    let left = |c: &Candidate| match c.expires_at {
        Some(t) => format!("{} left", human_secs(t - now)),
        None => "pending".into(),
    };
    let t = field(w.target);
    if prompt::can_prompt() {
        let width = found.iter().map(|c| field(&c.id).len()).max().unwrap_or(0);
        let role_w = found
            .iter()
            .map(|c| field(&c.role).len())
            .max()
            .unwrap_or(0);
        let items: Vec<prompt::Choice> = found
            .iter()
            .map(|c| prompt::Choice {
                label: format!("{} ({})", field(&c.id), field(&c.role)),
                row: format!(
                    "{:<width$}  {:<role_w$}  {}",
                    field(&c.id),
                    field(&c.role),
                    left(c)
                ),
            })
            .collect();
        let i = prompt::pick(
            &format!("Several grants of yours match {t}; which one?"),
            &items,
            0,
        )?;
        return Ok(found.swap_remove(i).id);
    }
    let listed: Vec<String> = found
        .iter()
        .map(|c| format!("{} ({}, {})", field(&c.id), field(&c.role), left(c)))
        .collect();
    let role_hint = if w.command == "exec" {
        " or add --role"
    } else {
        ""
    };
    Err(Error::usage(format!(
        "{} grants of yours match {t}: {}",
        found.len(),
        listed.join(", ")
    ))
    .with_hint(format!(
        "name one by its id (`zt {} {}{}`){role_hint}",
        w.command,
        field(&found[0].id),
        if w.command == "exec" { " -- …" } else { "" }
    )))
}
