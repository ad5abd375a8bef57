//! `zt status` groups a bundle's grants (issue 16): in the text list the rows of one bundle
//! follow each other, under a line naming the bundle, where its first row would be. `--json`
//! stays a flat list (each row with its `bundle_id`).

use super::Row;

/// The rows in their order, a bundle's rows moved up to its first one's place; each with
/// whether a bundle's header line goes before it (the bundle's id and its number of rows).
pub(super) fn grouped(rows: Vec<Row>) -> Vec<(Option<(String, usize)>, Row)> {
    let mut out: Vec<(Option<(String, usize)>, Row)> = Vec::with_capacity(rows.len());
    let mut rest = rows;
    while !rest.is_empty() {
        let first = rest.remove(0);
        let Some(bundle) = first.bundle_id.clone() else {
            out.push((None, first));
            continue;
        };
        let (mut same, others): (Vec<Row>, Vec<Row>) = rest
            .into_iter()
            .partition(|r| r.bundle_id.as_deref() == Some(bundle.as_str()));
        rest = others;
        same.insert(0, first);
        let n = same.len();
        for (i, r) in same.into_iter().enumerate() {
            out.push(((i == 0).then(|| (bundle.clone(), n)), r));
        }
    }
    out
}
