//! Integration tests of `src/store`.
