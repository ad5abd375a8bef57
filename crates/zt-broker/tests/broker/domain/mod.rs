//! Integration tests of `src/domain`: a request's life on a whole broker ([`lifecycle`]), and
//! approvals confirmed with a passkey ([`passkey`]), and when a grant's clock starts
//! ([`schedule`]: scheduled and first-use grants).

mod bundles;
mod lifecycle;
mod passkey;
mod schedule;
