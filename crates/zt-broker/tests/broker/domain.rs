//! Integration tests of `src/domain`.
