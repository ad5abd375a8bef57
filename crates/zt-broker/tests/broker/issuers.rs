//! Integration tests of `src/issuers`.
