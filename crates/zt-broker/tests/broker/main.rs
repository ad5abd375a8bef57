//! zt-broker's integration tests: the broker's library driven as a whole — the dev broker
//! harness over real HTTP (`zt_testkit::broker`), a throwaway PostgreSQL (`zt_testkit::pg`),
//! the Kubernetes issuer against a FAKE API server (`zt_testkit::kube`), the AWS issuer against
//! moto, kubectl. One module per area of `src/`; unit tests stay next to their code.
//! (The contract test and the authorization matrix are binaries of their own: `contract/`,
//! `authz/`.)

mod dev;
mod domain;
mod issuers;
mod oncall;
mod policy;
mod reaper;
mod routes;
mod serve;
mod server;
mod store;
mod webhooks;
