//! The cargo features that choose what this build of the broker holds (crates/zt-broker's
//! Cargo.toml): `aws` (the `aws-sts` issuer), `kubernetes` (the `kubernetes` issuer),
//! `postgres` (the PostgreSQL store and issuer). The default holds them all; `./install.sh`
//! leaves them out (the embedded default, `zt-broker dev`, needs none) unless `--production`.

/// The error for `what` (an issuer or store a config or flag names) when this build left out
/// `feature`: it names the feature and the way to a build that has it.
pub fn missing(what: &str, feature: &str) -> String {
    format!(
        "{what} is not in this build of zt-broker (built without the cargo feature \
         {feature:?}); install the production build: `./install.sh --production` (or \
         `cargo build --release -p zt-broker`, whose default has every feature)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_feature_and_the_flag() {
        let m = missing("issuer \"aws-sts\"", "aws");
        assert!(m.contains("issuer \"aws-sts\""), "{m}");
        assert!(m.contains("feature \"aws\""), "{m}");
        assert!(m.contains("./install.sh --production"), "{m}");
    }
}
