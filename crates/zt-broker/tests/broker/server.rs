//! Integration tests of `src/server`.
