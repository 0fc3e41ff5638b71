//! [`MergeIter`]: overlays newer entries (a cache snapshot, or uncommitted
//! writes) on a wrapped store's iterator, for the caching and transactional
//! stores.

use std::cmp::Ordering;
use std::iter::Peekable;

use crate::Result;

/// Newer items to merge over stored ones: an order key and the item, `None`
/// for a deletion.
pub(crate) type Overlay<'a, K, T> = Box<dyn Iterator<Item = (K, Option<T>)> + 'a>;

/// Merges cached (newer) items over stored ones. Both inputs are sorted by the
/// same order key (descending when `reverse`); on equal order keys the cached
/// item wins, and a cached `None` (a deletion) hides the stored item.
pub(crate) struct MergeIter<'a, K: Ord, T> {
    cache: Peekable<Overlay<'a, K, T>>,
    store: Peekable<Box<dyn Iterator<Item = Result<T>> + 'a>>,
    order_key: Box<dyn Fn(&T) -> K + 'a>,
    reverse: bool,
}

impl<'a, K: Ord, T> MergeIter<'a, K, T> {
    /// `cache` must be sorted by order key like `store`.
    pub(crate) fn new(
        cache: Overlay<'a, K, T>,
        store: Box<dyn Iterator<Item = Result<T>> + 'a>,
        order_key: impl Fn(&T) -> K + 'a,
        reverse: bool,
    ) -> Self {
        Self {
            cache: cache.peekable(),
            store: store.peekable(),
            order_key: Box::new(order_key),
            reverse,
        }
    }
}

impl<K: Ord, T> Iterator for MergeIter<'_, K, T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let order = match (self.cache.peek(), self.store.peek()) {
                (None, _) | (Some(_), Some(Err(_))) => return self.store.next(),
                (Some(_), None) => None,
                (Some((cached, _)), Some(Ok(stored))) => {
                    Some(cached.cmp(&(self.order_key)(stored)))
                }
            };
            let take_cache = match order {
                None => true,
                Some(Ordering::Equal) => {
                    self.store.next();
                    true
                }
                Some(order) => (order == Ordering::Less) != self.reverse,
            };
            if !take_cache {
                return self.store.next();
            }
            if let Some((_, Some(item))) = self.cache.next() {
                return Some(Ok(item));
            }
        }
    }
}
