//! Integration tests of `src/domain`: a request's life on a whole broker ([`lifecycle`]), and
//! approvals confirmed with a passkey ([`passkey`]).

mod bundles;
mod lifecycle;
mod passkey;
