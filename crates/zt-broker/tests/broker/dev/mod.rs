//! Integration tests of `src/dev`: `zt-broker dev` run in-process (`run`) and its development
//! Kubernetes API driven through the dev broker harness (`k8s`). The dev IdP, the dev issuers,
//! the state file and the dev CA keep their unit tests in `src/dev/`.

mod k8s;
mod run;
