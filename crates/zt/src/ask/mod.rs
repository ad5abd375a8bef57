//! Ask, don't fail: what zt does when an argument is missing or wrong. On a terminal it asks
//! (pickers over the catalog, the inbox, your grants — [`crate::prompt`] draws them); in a
//! script it fails with an error that names the argument and lists what it could be, and never
//! waits for input. A name that is not known gets the nearest known ones ("did you mean …?").
//!
//! - [`resource`] `zt request` without a resource; unknown resource and role names.
//! - [`inbox`] `zt approve` / `zt deny` without an id; a denial's comment.
//! - [`target`] the one `GRANT|RESOURCE` resolver of `exec`, `env`, `extend`, `revoke`.
//! - [`suggest`] "did you mean prod-k8s?"; [`cmdline`] hints for refused command lines.

pub mod cmdline;
pub mod inbox;
pub mod resource;
pub mod suggest;
pub mod target;
