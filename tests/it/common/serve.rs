//! `zt-broker serve` as operators run it: the binary with a configuration file, its URL read
//! from the first stdout line; and access tokens from a `zt-broker dev` OpenID provider, got the
//! way a person gets them (device flow and the verification page's form).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};

use serde_json::Value;

use super::Home;

/// One `zt-broker serve` process; SIGTERMed on drop unless already killed.
pub(crate) struct Replica {
    pub url: String,
    pub child: Child,
}

impl Replica {
    /// Start with `config`; `env` is added to the process environment.
    pub(crate) fn start(home: &Home, config: &Path, env: &[(&str, &str)]) -> Replica {
        let mut child = home
            .cmd(crate::common::broker_bin())
            .envs(env.iter().copied())
            .arg("serve")
            .arg("--config")
            .arg(config)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start zt-broker serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("zt-broker listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from zt-broker serve: {line:?}"))
            .to_string();
        Replica { url, child }
    }

    pub(crate) fn signal(&self, sig: i32) {
        unsafe { libc::kill(self.child.id() as i32, sig) };
    }

    pub(crate) fn sigkill(&mut self) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
            let _ = self.child.wait();
        }
    }
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

/// An access token for `user` from the dev OpenID provider, by the device flow a person takes:
/// device authorization, the verification page's form, the token poll.
pub(crate) async fn dev_token(broker: &str, issuer: &str, client_id: &str, user: &str) -> String {
    let c = reqwest::Client::new();
    let auth: Value = c
        .post(format!("{issuer}/device/auth"))
        .form(&[("client_id", client_id), ("scope", "openid")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = auth["user_code"].as_str().unwrap();
    let page = c
        .post(format!("{broker}/oidc/device"))
        .form(&[("user_code", code), ("user", user), ("action", "approve")])
        .send()
        .await
        .unwrap();
    assert!(page.status().is_success(), "{}", page.text().await.unwrap());
    let token: Value = c
        .post(format!("{issuer}/token"))
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", auth["device_code"].as_str().unwrap()),
            ("client_id", client_id),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    token["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no access token: {token}"))
        .to_string()
}

/// What `/.well-known/zt` of a `zt-broker dev` says about signing in.
pub(crate) struct Login {
    pub broker: String,
    pub issuer: String,
    pub client_id: String,
    pub audience: String,
}

/// Send `req` and read its JSON answer, blocking.
pub(crate) fn fetch_json(req: reqwest::RequestBuilder) -> Value {
    runtime().block_on(async { req.send().await.unwrap().json().await.unwrap() })
}

impl Login {
    pub(crate) fn discover(broker: &str) -> Login {
        let disco = fetch_json(reqwest::Client::new().get(format!("{broker}/.well-known/zt")));
        let field = |k: &str| disco[k].as_str().unwrap().to_string();
        Login {
            broker: broker.to_string(),
            issuer: field("issuer"),
            client_id: field("client_id"),
            audience: field("audience"),
        }
    }

    /// The `[login]` and `[[trusted_issuer]]` sections of a `zt-broker serve` configuration
    /// that signs people in here.
    pub(crate) fn toml(&self) -> String {
        format!(
            "[login]\nissuer = \"{issuer}\"\nclient_id = \"{client_id}\"\naudience = \"{audience}\"\n\n\
             [[trusted_issuer]]\nissuer = \"{issuer}\"\naudience = \"{audience}\"\n",
            issuer = self.issuer,
            client_id = self.client_id,
            audience = self.audience,
        )
    }

    /// An access token for the dev user `user`.
    pub(crate) fn token(&self, user: &str) -> String {
        runtime().block_on(dev_token(&self.broker, &self.issuer, &self.client_id, user))
    }
}

/// A real PostgreSQL (Debian's server, one per test) with database `zt` owned by the login role
/// `zt`, for `zt-broker serve` to store in: the `[store]` section naming it and the key file it
/// needs, and the environment that carries the role's password.
pub(crate) struct PgStore {
    pub pg: zt_testkit::pg::TestPg,
}

impl PgStore {
    const PASSWORD: &'static str = "zt-serve-test";

    /// Start it, writing the store key into `home`; `None` when PostgreSQL is not installed.
    pub(crate) fn start(home: &Home) -> Option<PgStore> {
        let pg = zt_testkit::pg::TestPg::start()?;
        pg.create_db("zt");
        pg.sql(&format!(
            "CREATE ROLE zt LOGIN PASSWORD '{}'; ALTER DATABASE zt OWNER TO zt",
            PgStore::PASSWORD
        ));
        // Every replica's one key (sealed credentials, the signed audit head).
        crate::common::world::write_private(
            &home.path().join("store.key"),
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        );
        Some(PgStore { pg })
    }

    /// The `[store]` section of a configuration in the home [`PgStore::start`] was given.
    pub(crate) fn toml(&self) -> String {
        format!(
            "[store]\nurl = \"postgres://zt@127.0.0.1:{}/zt\"\ncredential_key_file = \"store.key\"\n",
            self.pg.port
        )
    }

    /// What `zt-broker serve` needs in its environment to sign in to the database.
    pub(crate) fn env(&self) -> [(&'static str, &'static str); 1] {
        [("PGPASSWORD", PgStore::PASSWORD)]
    }

    /// One value from the broker's database, as text.
    pub(crate) fn sql(&self, sql: &str) -> String {
        self.pg.sql_in("zt", sql)
    }
}
