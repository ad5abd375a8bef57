//! apply and wipe on realistic files: round trips, where zt's section goes, re-requests,
//! sections zt did not mark, the verification, empty values, and the undo record.

use super::*;

#[test]
fn corpus_round_trips() {
    for (texts, case) in cases() {
        for (label, text) in texts {
            assert_eq!(validate(&text, case.dialect), Ok(()), "{label}");
            round_trip(&label, &text, &case);
        }
    }
}

#[test]
fn appends_after_one_blank_line() {
    let entries = aws_entries();
    let sec = section("profile zt-prod-aws", &entries, GRANT);
    let (out, _) = apply(AWS_CONFIG, &sec, Dialect::Aws).expect("applies");
    assert_eq!(out, format!("{AWS_CONFIG}\n{AWS_PROFILE}"));
    let bare = AWS_CONFIG.trim_end();
    let (out, _) = apply(bare, &sec, Dialect::Aws).expect("applies");
    assert_eq!(out, format!("{bare}\n\n{}", AWS_PROFILE.trim_end()));
    let (out, undo) = apply("", &sec, Dialect::Aws).expect("applies");
    assert_eq!((out.as_str(), undo.created), (AWS_PROFILE, true));
}

#[test]
fn replaces_in_place_and_wipe_keeps_what_follows() {
    let entries = aws_entries();
    let sec = section("profile zt-prod-aws", &entries, GRANT);
    let (out, undo) = apply(AWS_CONFIG, &sec, Dialect::Aws).expect("applies");
    // The user adds a profile below zt's, introduced by a comment.
    let user = "\n# added later\n[profile late]\nregion = ap-south-1\n";
    let edited = format!("{out}{user}");
    let (again, _) = apply(
        &edited,
        &section("profile zt-prod-aws", &entries, "zz"),
        Dialect::Aws,
    )
    .expect("replaces");
    assert!(again.ends_with(user), "moved:\n{again}");
    assert_eq!(
        wipe(&again, "profile zt-prod-aws", &undo, Dialect::Aws),
        Ok(Wiped::Text(format!("{AWS_CONFIG}{user}")))
    );
    // A file zt created, with the user's section after zt's.
    let (out, undo) = apply("", &sec, Dialect::Aws).expect("applies");
    let edited = format!("{out}\n[profile mine]\nregion = us-west-2\n");
    assert_eq!(
        wipe(&edited, "profile zt-prod-aws", &undo, Dialect::Aws),
        Ok(Wiped::Text("[profile mine]\nregion = us-west-2\n".into()))
    );
}

#[test]
fn leaves_sections_without_the_marker_alone() {
    let entries = aws_entries();
    let sec = section("profile zt-prod-aws", &entries, GRANT);
    // Marker not on the line right after the header: not zt's.
    let theirs = "[default]\nregion = x\n\n[profile zt-prod-aws]\nregion = y\n# zt: grant r7f3k2q9xa, expires 2026-05-01T12:00:00Z\n";
    let e = apply(theirs, &sec, Dialect::Aws).expect_err("refuses");
    assert_eq!(e.line, Some(4));
    assert_eq!(
        e.message,
        "a [profile zt-prod-aws] section exists that zt did not write; rename or remove it"
    );
    assert_eq!(
        wipe(
            theirs,
            "profile zt-prod-aws",
            &IniUndo::default(),
            Dialect::Aws
        ),
        Ok(Wiped::Text(theirs.into()))
    );
    // botocore reads these as the same profile, so they are the user's `zt-prod-aws` too.
    for alias in [
        "[profile  zt-prod-aws]",
        "[profile \"zt-prod-aws\"]",
        "[profile 'zt-prod-aws' ]",
    ] {
        let text = format!("[default]\n{alias}\nregion = x\n");
        let e = apply(&text, &sec, Dialect::Aws).expect_err(alias);
        assert_eq!(e.line, Some(2), "{alias}");
    }
    // A different header is not ours either.
    let (out, _) = apply(
        theirs.replace("zt-prod-aws", "zt-other").as_str(),
        &sec,
        Dialect::Aws,
    )
    .expect("applies");
    assert_eq!(zt_sections(&out, Dialect::Aws).map(|v| v.len()), Ok(1));
    // Looks like a header, but is a continuation line of `k` to botocore.
    let cont = "[a]\nk = v\n  [profile zt-prod-aws]\n";
    assert!(apply(cont, &sec, Dialect::Aws).is_ok());
}

#[test]
fn verification_catches_a_meaning_change() {
    // zt's section without keys, then an indented header: after wipe, botocore would read
    // `  [b]` as a continuation of `k`. zt refuses rather than change [a].
    let text = "[a]\nk = v\n\n[zt-x]\n# zt: grant g, expires t; written by zt\n  [b]\nj = w\n";
    assert_eq!(
        wipe(text, "zt-x", &IniUndo::default(), Dialect::Aws),
        Err(verify_failed())
    );
}

#[test]
fn empty_values_and_keys_only_sections() {
    let entries = vec![("cli_pager".to_string(), String::new())];
    let sec = section("profile zt-p", &entries, GRANT);
    let (out, undo) = apply("[default]\n", &sec, Dialect::Aws).expect("applies");
    assert!(out.ends_with("\ncli_pager =\n"), "{out}");
    assert_eq!(
        wipe(&out, "profile zt-p", &undo, Dialect::Aws),
        Ok(Wiped::Text("[default]\n".into()))
    );
    let (out, undo) = apply(
        "[s]\nhost=a\n",
        &section("zt-db", &[], GRANT),
        Dialect::PgService,
    )
    .expect("applies");
    assert_eq!(
        wipe(&out, "zt-db", &undo, Dialect::PgService),
        Ok(Wiped::Text("[s]\nhost=a\n".into()))
    );
}

#[test]
fn undo_serializes() {
    let u = IniUndo { created: true };
    let json = serde_json::to_string(&u).expect("serializes");
    assert_eq!(serde_json::from_str::<IniUndo>(&json).ok(), Some(u));
    assert_eq!(
        serde_json::from_str::<IniUndo>("{}").ok(),
        Some(IniUndo::default())
    );
    assert!(IniUndo::default().merge(IniUndo { created: true }).created);
    assert!(IniUndo { created: true }.merge(IniUndo::default()).created);
}
