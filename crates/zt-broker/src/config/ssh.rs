//! The `[ssh]` section: where the broker's SSH user CA key comes from — `ca_key_file` (an
//! unencrypted OpenSSH Ed25519 private key, mode 0600) or `ca_key_env` (the name of a variable
//! holding one); never the key itself. Needed when the catalog has an `ssh` resource.

use serde::Deserialize;
use toml::Spanned;

use super::source::{Dirs, Source};
use crate::error::Result;
use crate::issuers::ssh::ca::CaSource;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSsh {
    ca_key_file: Option<Spanned<String>>,
    ca_key_env: Option<Spanned<String>>,
}

pub(super) fn ssh_section(
    src: &Source<'_>,
    dirs: &Dirs,
    raw: Option<Spanned<RawSsh>>,
) -> Result<Option<CaSource>> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let span = raw.span();
    let raw = raw.into_inner();
    match (raw.ca_key_file, raw.ca_key_env) {
        (Some(_), Some(env)) => Err(src.at(
            env.span(),
            "[ssh] takes ca_key_file or ca_key_env, not both",
        )),
        (Some(file), None) if file.get_ref().trim().is_empty() => {
            Err(src.at(file.span(), "ca_key_file is empty"))
        }
        (Some(file), None) => Ok(Some(CaSource::File(dirs.resolve(file.get_ref().trim())))),
        (None, Some(env)) => {
            let name = env.get_ref().trim();
            if name.is_empty() || name.contains(['=', '\0']) {
                return Err(src.at(env.span(), "ca_key_env: not a variable name"));
            }
            Ok(Some(CaSource::Env(name.to_owned())))
        }
        (None, None) => Err(src.at(
            span,
            "[ssh] needs ca_key_file (a 0600 OpenSSH Ed25519 private key) or ca_key_env (the \
             name of a variable holding one)",
        )),
    }
}

#[cfg(test)]
mod tests {
    //! `[ssh]` and `ssh` resources: the CA's source named, never inline; an ssh resource
    //! without a CA, or with a setting that would change a certificate's or a client file's
    //! meaning, refused at its resource's line with the setting named.

    use crate::config::tests::{BASE, parse, refused};
    use crate::issuers::ssh::ca::CaSource;

    fn ssh_resource(settings: &str, role_settings: &str) -> String {
        format!(
            "{BASE}\n[[catalog.resource]]\nname = \"hosts\"\nkind = \"ssh\"\n\
             default_role = \"login\"\nmax_ttl = \"1h\"\nsettings = {{ {settings} }}\n\
             [[catalog.resource.role]]\nname = \"login\"\nsettings = {{ {role_settings} }}\n"
        )
    }

    #[test]
    fn the_ca_comes_from_a_file_or_a_variable_and_an_ssh_resource_needs_it() {
        let ok = ssh_resource(
            "issuer = \"ssh-ca\", host = \"web-1.example.com\"",
            "principals = [\"deploy\"]",
        );
        refused(
            &ok,
            None,
            "catalog: hosts: an ssh resource needs the broker's SSH CA",
        );
        let file = format!("{ok}\n[ssh]\nca_key_file = \"keys/ssh_ca\"\n");
        let c = parse(&file).unwrap();
        assert_eq!(c.ssh_ca, Some(CaSource::File("/etc/zt/keys/ssh_ca".into())));
        let env = format!("{ok}\n[ssh]\nca_key_env = \"ZT_SSH_CA\"\n");
        assert_eq!(
            parse(&env).unwrap().ssh_ca,
            Some(CaSource::Env("ZT_SSH_CA".into()))
        );
        let both = format!("{ok}\n[ssh]\nca_key_file = \"k\"\nca_key_env = \"V\"\n");
        refused(&both, Some("ca_key_env"), "not both");
        let neither = format!("{ok}\n[ssh]\n");
        refused(&neither, Some("[ssh]"), "[ssh] needs ca_key_file");
        // The key itself is not a setting: an unknown key, refused.
        let inline = format!("{ok}\n[ssh]\nca_key = \"-----BEGIN OPENSSH PRIVATE KEY-----\"\n");
        let e = parse(&inline).unwrap_err();
        assert!(e.contains("unknown field `ca_key`"), "{e}");
        assert!(!e.contains("BEGIN OPENSSH"), "{e}");
    }

    #[test]
    fn ssh_settings_are_checked_at_their_resource() {
        let ca = "\n[ssh]\nca_key_env = \"ZT_SSH_CA\"\n";
        for (settings, role, says) in [
            (
                "issuer = \"ssh-ca\", host = \"web 1\"",
                "principals = [\"deploy\"]",
                "hosts/login: settings.host: \"web 1\" holds whitespace",
            ),
            (
                "issuer = \"ssh-ca\", host = \"web-1\"",
                "principals = [\"%u\"]",
                "hosts/login: settings.principals: \"%u\" holds '%' (an ssh token)",
            ),
            (
                "issuer = \"ssh-ca\", host = \"web-1\"",
                "principals = [\"deploy\\nroot\"]",
                "settings.principals: \"deploy\\nroot\" holds a newline",
            ),
            (
                "issuer = \"kubernetes\", host = \"web-1\"",
                "principals = [\"deploy\"]",
                "hosts: an ssh resource takes issuer = \"ssh-ca\"",
            ),
            (
                "host = \"web-1\"",
                "principals = [\"deploy\"]",
                "catalog: hosts: needs settings.issuer",
            ),
        ] {
            let text = format!("{}{ca}", ssh_resource(settings, role));
            let at = text.rfind("[[catalog.resource]]").unwrap();
            let line = text[..at].matches('\n').count() + 1;
            let e = parse(&text).unwrap_err();
            assert!(
                e.starts_with(&format!("{}:{line}:", super::super::tests::PATH)),
                "{e}"
            );
            assert!(e.contains(says), "{says}: {e}");
        }
    }
}
