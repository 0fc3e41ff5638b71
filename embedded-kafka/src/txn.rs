//! The transaction coordinator: transactional ids, their producer id and epoch, the
//! partitions and consumer groups of each open transaction, fencing and timeouts.
//! Writing the markers is the broker's job; this module decides what must happen.

use crate::error::BrokerError;
use crate::storage::Storage;
use crate::sync::lock;
use kafka_protocol::error::ResponseError;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Told when a transaction ends, so the group coordinator can make the offsets the
/// transaction committed (TxnOffsetCommit) visible or discard them.
pub trait TransactionOutcomeListener: Send + Sync + Debug {
    /// The transaction of `producer_id` ended; `groups` are the groups it added with
    /// AddOffsetsToTxn; `committed` is false for an abort (including timeouts and
    /// aborts forced by a new producer instance).
    fn transaction_completed(&self, producer_id: i64, groups: &[String], committed: bool);
}

/// A transaction that has ended and whose markers must now be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedTransaction {
    /// Producer id of the transaction.
    pub producer_id: i64,
    /// Epoch the markers are written with.
    pub producer_epoch: i16,
    /// Partitions that receive a marker.
    pub partitions: Vec<(String, i32)>,
    /// Groups whose transactional offsets become visible or are discarded.
    pub groups: Vec<String>,
    /// Commit (true) or abort (false).
    pub committed: bool,
}

#[derive(Debug, Clone)]
struct TransactionalId {
    producer_id: i64,
    epoch: i16,
    timeout: Duration,
    ongoing_since: Option<Instant>,
    partitions: BTreeSet<(String, i32)>,
    groups: BTreeSet<String>,
    last_outcome: Option<bool>,
}

impl TransactionalId {
    fn end(&mut self, committed: bool) -> EndedTransaction {
        self.ongoing_since = None;
        self.last_outcome = Some(committed);
        EndedTransaction {
            producer_id: self.producer_id,
            producer_epoch: self.epoch,
            partitions: std::mem::take(&mut self.partitions).into_iter().collect(),
            groups: std::mem::take(&mut self.groups).into_iter().collect(),
            committed,
        }
    }

    /// Bumps the epoch, moving to a new producer id when the epoch is exhausted.
    fn bump_epoch(&mut self, allocate: impl FnOnce() -> i64) {
        if self.epoch >= i16::MAX - 1 {
            self.producer_id = allocate();
            self.epoch = 0;
        } else {
            self.epoch += 1;
        }
    }
}

/// State of every transactional id.
#[derive(Debug)]
pub struct TransactionCoordinator {
    ids: Mutex<HashMap<String, TransactionalId>>,
    storage: Option<Storage>,
    listeners: Mutex<Vec<Arc<dyn TransactionOutcomeListener>>>,
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<String> {
    let bytes = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    String::from_utf8(bytes).ok()
}

impl TransactionCoordinator {
    /// A coordinator journaling to `storage` when given.
    pub fn new(storage: Option<Storage>) -> Self {
        Self {
            ids: Mutex::new(HashMap::new()),
            storage,
            listeners: Mutex::new(Vec::new()),
        }
    }

    /// Registers a listener for transaction outcomes.
    pub fn register_listener(&self, listener: Arc<dyn TransactionOutcomeListener>) {
        lock(&self.listeners).push(listener);
    }

    /// Tells every listener about an ended transaction.
    pub fn notify_listeners(&self, ended: &EndedTransaction) {
        let listeners = lock(&self.listeners).clone();
        for listener in listeners {
            listener.transaction_completed(ended.producer_id, &ended.groups, ended.committed);
        }
    }

    fn journal(&self, id: &str, state: &TransactionalId) -> Result<(), ResponseError> {
        let Some(storage) = &self.storage else {
            return Ok(());
        };
        let partitions: Vec<String> = state
            .partitions
            .iter()
            .map(|(t, p)| format!("{t}:{p}"))
            .collect();
        let groups: Vec<String> = state.groups.iter().map(|g| hex(g)).collect();
        let line = format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            hex(id),
            state.producer_id,
            state.epoch,
            state.timeout.as_millis(),
            u8::from(state.ongoing_since.is_some()),
            partitions.join(","),
            groups.join(","),
        );
        storage.append_transaction_record(&line).map_err(|error| {
            tracing::error!(%error, "cannot journal transaction state");
            ResponseError::KafkaStorageError
        })
    }

    /// Restores the journaled state; returns the largest producer id seen.
    pub fn replay(&self) -> Result<i64, BrokerError> {
        let Some(storage) = &self.storage else {
            return Ok(0);
        };
        let mut ids = lock(&self.ids);
        let mut max_producer_id = 0;
        for line in storage.transaction_records()? {
            let fields: Vec<&str> = line.split('\t').collect();
            let parsed = (|| {
                let id = unhex(fields.first()?)?;
                let producer_id: i64 = fields.get(1)?.parse().ok()?;
                let epoch: i16 = fields.get(2)?.parse().ok()?;
                let timeout = Duration::from_millis(fields.get(3)?.parse().ok()?);
                let ongoing = *fields.get(4)? == "1";
                let partitions = fields
                    .get(5)?
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        let (t, p) = s.rsplit_once(':')?;
                        Some((t.to_owned(), p.parse().ok()?))
                    })
                    .collect::<Option<BTreeSet<_>>>()?;
                let groups = fields
                    .get(6)?
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(unhex)
                    .collect::<Option<BTreeSet<_>>>()?;
                Some((
                    id,
                    TransactionalId {
                        producer_id,
                        epoch,
                        timeout,
                        ongoing_since: ongoing.then(Instant::now),
                        partitions,
                        groups,
                        last_outcome: None,
                    },
                ))
            })();
            match parsed {
                Some((id, state)) => {
                    max_producer_id = max_producer_id.max(state.producer_id);
                    ids.insert(id, state);
                }
                None => tracing::warn!(line, "skipping an unreadable transaction journal line"),
            }
        }
        Ok(max_producer_id)
    }

    /// InitProducerId for a transactional id: a new producer id, or the existing one
    /// with its epoch bumped (aborting its open transaction, returned for markers).
    pub fn init_producer(
        &self,
        id: &str,
        timeout: Duration,
        expected: Option<(i64, i16)>,
        allocate: impl FnOnce() -> i64,
    ) -> Result<(i64, i16, Option<EndedTransaction>), ResponseError> {
        let mut ids = lock(&self.ids);
        let state = match ids.get_mut(id) {
            Some(state) => {
                if let Some((producer_id, epoch)) = expected
                    && (producer_id != state.producer_id || epoch != state.epoch)
                {
                    return Err(ResponseError::ProducerFenced);
                }
                state.bump_epoch(allocate);
                state.timeout = timeout;
                state
            }
            None => ids.entry(id.to_owned()).or_insert(TransactionalId {
                producer_id: allocate(),
                epoch: 0,
                timeout,
                ongoing_since: None,
                partitions: BTreeSet::new(),
                groups: BTreeSet::new(),
                last_outcome: None,
            }),
        };
        let aborted = state.ongoing_since.is_some().then(|| state.end(false));
        if aborted.is_some() {
            tracing::info!(
                transactional_id = id,
                "aborting the open transaction of a re-initialised producer"
            );
        }
        let (producer_id, epoch) = (state.producer_id, state.epoch);
        let snapshot = state.clone();
        drop(ids);
        self.journal(id, &snapshot)?;
        Ok((producer_id, epoch, aborted))
    }

    fn verified<'a>(
        ids: &'a mut HashMap<String, TransactionalId>,
        id: &str,
        producer_id: i64,
        epoch: i16,
    ) -> Result<&'a mut TransactionalId, ResponseError> {
        let state = ids
            .get_mut(id)
            .ok_or(ResponseError::InvalidProducerIdMapping)?;
        if state.producer_id != producer_id {
            return Err(ResponseError::InvalidProducerIdMapping);
        }
        if state.epoch != epoch {
            return Err(ResponseError::ProducerFenced);
        }
        Ok(state)
    }

    /// Checks that `producer_id`/`epoch` is the current producer of `id`.
    pub fn verify(&self, id: &str, producer_id: i64, epoch: i16) -> Result<(), ResponseError> {
        Self::verified(&mut lock(&self.ids), id, producer_id, epoch).map(|_| ())
    }

    /// AddPartitionsToTxn / AddOffsetsToTxn: adds partitions and groups to the open
    /// transaction, opening it if needed.
    pub fn add_to_transaction(
        &self,
        id: &str,
        producer_id: i64,
        epoch: i16,
        partitions: &[(String, i32)],
        group: Option<&str>,
    ) -> Result<(), ResponseError> {
        let mut ids = lock(&self.ids);
        let state = Self::verified(&mut ids, id, producer_id, epoch)?;
        let before = (
            state.partitions.len(),
            state.groups.len(),
            state.ongoing_since,
        );
        state.ongoing_since.get_or_insert_with(Instant::now);
        state.partitions.extend(partitions.iter().cloned());
        if let Some(group) = group {
            state.groups.insert(group.to_owned());
        }
        if before
            == (
                state.partitions.len(),
                state.groups.len(),
                state.ongoing_since,
            )
        {
            return Ok(());
        }
        let snapshot = state.clone();
        drop(ids);
        self.journal(id, &snapshot)
    }

    /// EndTxn: ends the open transaction. None when there is nothing to do (a retry
    /// of the same outcome).
    pub fn end_transaction(
        &self,
        id: &str,
        producer_id: i64,
        epoch: i16,
        committed: bool,
    ) -> Result<Option<EndedTransaction>, ResponseError> {
        let mut ids = lock(&self.ids);
        let state = Self::verified(&mut ids, id, producer_id, epoch)?;
        if state.ongoing_since.is_none() {
            return if state.last_outcome == Some(committed) || state.last_outcome.is_none() {
                Ok(None)
            } else {
                Err(ResponseError::InvalidTxnState)
            };
        }
        let ended = state.end(committed);
        let snapshot = state.clone();
        drop(ids);
        self.journal(id, &snapshot)?;
        Ok(Some(ended))
    }

    /// Aborts every transaction open longer than its timeout, bumping the epoch so
    /// the abandoned producer is fenced.
    pub fn abort_expired(&self, allocate: &dyn Fn() -> i64) -> Vec<EndedTransaction> {
        let mut ids = lock(&self.ids);
        let mut ended = Vec::new();
        let mut journal = Vec::new();
        for (id, state) in ids.iter_mut() {
            if state
                .ongoing_since
                .is_some_and(|since| since.elapsed() >= state.timeout)
            {
                tracing::info!(
                    transactional_id = id,
                    "aborting a transaction that timed out"
                );
                state.bump_epoch(allocate);
                ended.push(state.end(false));
                journal.push((id.clone(), state.clone()));
            }
        }
        drop(ids);
        for (id, state) in journal {
            if let Err(error) = self.journal(&id, &state) {
                tracing::error!(
                    ?error,
                    transactional_id = id,
                    "cannot journal a timed-out abort"
                );
            }
        }
        ended
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allocator() -> impl FnMut() -> i64 {
        let mut next = 0;
        move || {
            next += 1;
            next
        }
    }

    #[test]
    fn reinitialising_bumps_the_epoch_aborts_and_fences_the_old_producer() {
        let coordinator = TransactionCoordinator::new(None);
        let mut allocate = allocator();
        let (pid, epoch, aborted) = coordinator
            .init_producer("t", Duration::from_secs(60), None, &mut allocate)
            .expect("init");
        assert_eq!((epoch, aborted), (0, None));
        coordinator
            .add_to_transaction("t", pid, epoch, &[("a".into(), 0)], None)
            .expect("add");
        let (pid2, epoch2, aborted) = coordinator
            .init_producer("t", Duration::from_secs(60), None, &mut allocate)
            .expect("re-init");
        assert_eq!((pid2, epoch2), (pid, 1));
        let aborted = aborted.expect("open transaction aborted");
        assert_eq!(aborted.partitions, vec![("a".to_owned(), 0)]);
        assert!(!aborted.committed);
        assert_eq!(
            coordinator.end_transaction("t", pid, 0, true),
            Err(ResponseError::ProducerFenced)
        );
    }

    #[test]
    fn expired_transactions_are_aborted_with_a_bumped_epoch() {
        let coordinator = TransactionCoordinator::new(None);
        let mut allocate = allocator();
        let (pid, epoch, _) = coordinator
            .init_producer("t", Duration::ZERO, None, &mut allocate)
            .expect("init");
        coordinator
            .add_to_transaction("t", pid, epoch, &[("a".into(), 1)], Some("g"))
            .expect("add");
        let ended = coordinator.abort_expired(&|| 99);
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].producer_epoch, 1);
        assert_eq!(ended[0].groups, vec!["g".to_owned()]);
        assert_eq!(
            coordinator.verify("t", pid, epoch),
            Err(ResponseError::ProducerFenced)
        );
    }
}
