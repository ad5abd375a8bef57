//! Nothing: this package exists for its end-to-end tests (`it/`), which need a package to
//! belong to.
