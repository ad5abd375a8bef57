//! What apply changed in a kubeconfig beyond adding entries, recorded so wipe can restore it
//! exactly, and how the records of repeated applies of one entry combine.

use serde::{Deserialize, Serialize};

/// What apply changed beyond adding entries, so wipe can restore it exactly. Stored (as JSON)
/// in zt's ledger. When the same entry is applied again before being wiped, keep the first
/// undo combined with the later one: see [`KubeUndo::merge`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KubeUndo {
    /// zt wrote a fresh kubeconfig because the text held no YAML document: the exact original
    /// text ("" when the file did not exist).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fresh_from: Option<String>,
    /// The file existed when `fresh_from` was recorded: wipe gives back its text (even an
    /// empty one) rather than removing the file.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub existed: bool,
    /// apply switched current-context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_context: Option<PreviousContext>,
    /// Top-level lists zt created or converted from an empty value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lists: Vec<ListUndo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviousContext {
    /// The text after `current-context:` as it was (` "dev"`, ` ""`, or empty); None when the
    /// key was absent.
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListUndo {
    /// `clusters`, `contexts` or `users`.
    pub key: String,
    /// The value text after `<key>:` that zt removed (` []`, ` null`, empty); None when zt
    /// added the key.
    pub was: Option<String>,
}

impl KubeUndo {
    /// Combine with the undo of a later apply of the same entry (a re-request). The later apply
    /// found zt's entries in place and so knows less about the original file: keep what this
    /// one recorded. That includes the current-context: a later `--use` finds zt's own context
    /// current and would record it as the one to restore, leaving a dangling context at wipe.
    pub fn merge(mut self, later: KubeUndo) -> KubeUndo {
        if self.fresh_from.is_none() {
            (self.fresh_from, self.existed) = (later.fresh_from, later.existed);
        }
        self.current_context = self.current_context.or(later.current_context);
        for l in later.lists {
            if !self.lists.iter().any(|m| m.key == l.key) {
                self.lists.push(l);
            }
        }
        self
    }
}
