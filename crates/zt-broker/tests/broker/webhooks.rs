//! Integration tests of `src/webhooks`.
