//! Integration tests of `src/reaper`.
