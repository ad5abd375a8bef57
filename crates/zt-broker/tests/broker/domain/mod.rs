//! Integration tests of `src/domain`: a request's life on a whole broker ([`lifecycle`]).

mod lifecycle;
