//! `split()` and its branches.

use crate::Data;
use crate::KStream;
use crate::operators::{BranchPredicate, BranchProcessor, PassThrough};
use std::collections::HashMap;
use std::sync::Arc;

/// A stream being split: add branches with [`branch`](Self::branch), then finish
/// with [`default_branch`](Self::default_branch) or
/// [`no_default_branch`](Self::no_default_branch).
pub struct BranchedKStream<K, V> {
    stream: KStream<K, V>,
    prefix: String,
    branches: Vec<(String, BranchPredicate<K, V>)>,
}

impl<K: Data, V: Data> BranchedKStream<K, V> {
    pub(crate) fn new(stream: KStream<K, V>, prefix: String) -> Self {
        Self {
            stream,
            prefix,
            branches: Vec::new(),
        }
    }

    /// Adds a branch named `prefix + name` taking the records `predicate` accepts
    /// (and no earlier branch took).
    pub fn branch<F>(mut self, name: &str, predicate: F) -> Self
    where
        F: Fn(&K, &V) -> bool + Send + Sync + 'static,
    {
        self.branches
            .push((format!("{}{name}", self.prefix), Arc::new(predicate)));
        self
    }

    /// Finishes the split with a branch `prefix + name` for records no predicate took.
    pub fn default_branch(self, name: &str) -> Branches<K, V> {
        let default_name = format!("{}{name}", self.prefix);
        self.finish(Some(default_name))
    }

    /// Finishes the split; records no predicate took are dropped.
    pub fn no_default_branch(self) -> Branches<K, V> {
        self.finish(None)
    }

    fn finish(self, default_branch: Option<String>) -> Branches<K, V> {
        let names: Vec<String> = self
            .branches
            .iter()
            .map(|(name, _)| name.clone())
            .chain(default_branch.clone())
            .collect();
        let branches = Arc::new(self.branches);
        let default_child: Option<Arc<str>> = default_branch.as_deref().map(Arc::from);
        let splitter = self
            .stream
            .add_node("KSTREAM-BRANCH", move || BranchProcessor {
                branches: branches.clone(),
                default_branch: default_child.clone(),
            });
        let streams = names
            .into_iter()
            .map(|name| {
                let child = splitter.add_named_node(name.clone(), || PassThrough);
                (name, child)
            })
            .collect();
        Branches { streams }
    }
}

/// The branches of a split, by full name (`prefix + name`).
pub struct Branches<K, V> {
    streams: HashMap<String, KStream<K, V>>,
}

impl<K, V> Branches<K, V> {
    /// Takes the branch with this full name out of the set.
    pub fn take(&mut self, name: &str) -> Option<KStream<K, V>> {
        self.streams.remove(name)
    }

    /// The full names of the branches not yet taken, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.streams.keys().cloned().collect();
        names.sort();
        names
    }
}
