//! zt: just-in-time privileged access from the terminal.
//!
//! What lives where:
//! - [`cli`] every clap definition of `zt`; [`commands`] one file per subcommand.
//! - [`api`] the broker's wire types, shared by client and broker.
//! - [`error`] the error kinds and exit codes; [`env`] every variable; [`paths`] every path.
//! - `broker` (feature `broker`): the reference broker behind `zt-broker`.

pub mod api;
pub mod cli;
pub mod env;
pub mod error;
pub mod materialize;
pub mod paths;

#[cfg(feature = "broker")]
pub mod broker;
