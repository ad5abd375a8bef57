//! Integration tests of `src/dev`.
