//! Integration tests of `src/policy`.
