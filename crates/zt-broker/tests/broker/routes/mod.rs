//! Integration tests of `src/routes`: each group of `/v1` routes driven over HTTP against the
//! dev broker harness (`zt_testkit::broker::TestBroker`), one file per file of `src/routes`.

mod audit;
mod body;
mod create;
mod decide;
mod extend;
mod grants;
mod requests;
