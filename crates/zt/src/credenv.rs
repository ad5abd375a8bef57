//! A credential as environment variables — what `zt env` prints and what `zt exec` hands its
//! child — and quoting for each shell, so a value never turns into shell syntax.

use crate::cli::EnvShell;
use zt_api::Credential;

/// The variables the standard tools read for `cred`. Kubernetes needs a kubeconfig *file*;
/// the caller writes one (with zt's exec plugin, no token in it) and passes its path.
pub fn vars(cred: &Credential, kubeconfig: Option<&std::path::Path>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = Vec::new();
    let mut put = |k: &str, val: String| v.push((k.to_string(), val));
    match cred {
        // Placeholder until the client's ssh support (issue 15, sshclient): no variables.
        Credential::Ssh { .. } => {}
        Credential::Kubernetes { .. } => {
            if let Some(p) = kubeconfig {
                put("KUBECONFIG", p.display().to_string());
            }
        }
        Credential::Aws {
            access_key_id,
            secret_access_key,
            session_token,
            expires_at,
            region,
        } => {
            put("AWS_ACCESS_KEY_ID", access_key_id.clone());
            put("AWS_SECRET_ACCESS_KEY", secret_access_key.clone());
            put("AWS_SESSION_TOKEN", session_token.clone());
            // Read by the AWS SDKs to know when to stop using the keys.
            put("AWS_CREDENTIAL_EXPIRATION", expires_at.to_rfc3339());
            if let Some(r) = region {
                put("AWS_REGION", r.clone());
                put("AWS_DEFAULT_REGION", r.clone());
            }
        }
        Credential::Postgres {
            host,
            port,
            dbname,
            user,
            password,
            sslmode,
            ..
        } => {
            put("PGHOST", host.clone());
            put("PGPORT", port.to_string());
            put("PGDATABASE", dbname.clone());
            put("PGUSER", user.clone());
            put("PGPASSWORD", password.clone());
            if !sslmode.is_empty() {
                put("PGSSLMODE", sslmode.clone());
            }
            let mut url = format!(
                "postgresql://{}:{}@{}:{port}/{}",
                pct(user),
                pct(password),
                if host.contains(':') {
                    format!("[{host}]")
                } else {
                    host.clone()
                },
                pct(dbname)
            );
            if !sslmode.is_empty() {
                url.push_str(&format!("?sslmode={}", pct(sslmode)));
            }
            put("DATABASE_URL", url);
        }
    }
    v
}

/// RFC 3986 percent-encoding of everything but unreserved characters.
fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Lines that set `vars` in `shell`.
pub fn render(vars: &[(String, String)], shell: EnvShell) -> String {
    vars.iter()
        .map(|(k, v)| match shell {
            EnvShell::Bash | EnvShell::Zsh => {
                format!("export {k}='{}'\n", v.replace('\'', r"'\''"))
            }
            EnvShell::Fish => format!(
                "set -gx {k} '{}'\n",
                v.replace('\\', r"\\").replace('\'', r"\'")
            ),
            EnvShell::Powershell => format!("$Env:{k} = '{}'\n", v.replace('\'', "''")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use zt_api::Timestamp;

    fn pg(password: &str) -> Credential {
        Credential::Postgres {
            host: "db.example".into(),
            port: 5432,
            dbname: "app".into(),
            user: "zt_alice_1".into(),
            password: password.into(),
            sslmode: "require".into(),
            expires_at: Timestamp(0),
        }
    }

    #[test]
    fn database_url_escapes_user_and_password() {
        let v = vars(&pg("p@ss:w/rd'"), None);
        let url = &v.iter().find(|(k, _)| k == "DATABASE_URL").unwrap().1;
        assert_eq!(
            url,
            "postgresql://zt_alice_1:p%40ss%3Aw%2Frd%27@db.example:5432/app?sslmode=require"
        );
    }

    #[test]
    fn quoting_survives_every_shell_metacharacter() {
        let v = vec![("X".to_string(), "a'b\"c$d`e\\f g;h".to_string())];
        let bash = render(&v, EnvShell::Bash);
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!("{bash}printf %s \"$X\""))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "a'b\"c$d`e\\f g;h");
        assert_eq!(
            render(&v, EnvShell::Powershell),
            "$Env:X = 'a''b\"c$d`e\\f g;h'\n"
        );
        assert_eq!(
            render(&v, EnvShell::Fish),
            "set -gx X 'a\\'b\"c$d`e\\\\f g;h'\n"
        );
    }
}
