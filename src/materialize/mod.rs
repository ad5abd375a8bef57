//! Writing zt's short-lived credentials into other tools' config files without disturbing the rest.
pub mod kubeyaml;
