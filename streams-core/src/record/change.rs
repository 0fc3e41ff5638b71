//! Table updates: the new and the previous value of a key.

/// An update of a table row as it travels between table operators: the new value
/// (`None` for a delete) and, where known, the value it replaced. Aggregations over
/// tables need the old value to subtract it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change<V> {
    /// The value after the update; `None` when the row was deleted.
    pub new: Option<V>,
    /// The value before the update; `None` when the row did not exist (or the
    /// operator upstream does not send old values).
    pub old: Option<V>,
}

impl<V> Change<V> {
    /// An update from `old` to `new`.
    pub fn new(new: Option<V>, old: Option<V>) -> Self {
        Self { new, old }
    }

    /// Applies `f` to both values.
    pub fn map<W>(self, mut f: impl FnMut(V) -> W) -> Change<W> {
        Change {
            new: self.new.map(&mut f),
            old: self.old.map(f),
        }
    }
}
