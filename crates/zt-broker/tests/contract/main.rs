//! The contract test: zt-api's `openapi.yaml` ([`zt_api::OPENAPI`]) against the real broker.
//! [`spec`] reads the document, [`validate`] checks JSON against its schemas, [`check`] sends
//! requests and holds each answer to the document while recording which documented answers were
//! seen; [`tests`] drives every operation through every status it documents ([`requests`],
//! [`grants`] hold the scenarios) and checks the routes and problem types against the server.
//! It drives the dev broker harness (`zt_testkit::broker`).

mod bundles;
mod check;
mod grants;
mod requests;
mod spec;
mod step_up;
mod tests;
mod validate;
