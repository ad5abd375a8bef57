//! Every problem type the broker can send is one the client classifies into an exit code. It
//! lived in the broker's contract test; it needs both crates, and only these tests may.

#[test]
fn the_client_classifies_every_problem_type() {
    for slug in zt_api::problem::ALL {
        assert!(
            zt::client::problem_kind(slug).is_some(),
            "the client does not classify {slug}"
        );
    }
}
