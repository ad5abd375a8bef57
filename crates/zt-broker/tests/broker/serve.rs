//! Integration tests of `src/serve`.
