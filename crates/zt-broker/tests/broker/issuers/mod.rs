//! Integration tests of `src/issuers`: each real issuer against its target or a stand-in for it
//! — `aws` against moto, `kubernetes` against a FAKE API server (`zt_testkit::kube`) and the
//! real kubectl, `postgres` against a real PostgreSQL server (`zt_testkit::pg`) — and inside
//! the broker's lifecycle and reaper. The issuers' pure parts are unit tests in `src/issuers/`.

mod aws;
mod kubernetes;
mod postgres;
mod ssh;
