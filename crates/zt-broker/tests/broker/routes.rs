//! Integration tests of `src/routes`.
