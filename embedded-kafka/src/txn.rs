//! The transaction coordinator: transactional ids, their producer id and epoch, the
//! partitions and consumer groups of each open transaction, fencing and timeouts.
//! Writing the markers is the broker's job; this module decides what must happen.
//!
//! With a data directory every change is journaled before it is acknowledged. An
//! ending transaction is journaled twice, as Kafka's transaction log does:
//! prepared (PrepareCommit / PrepareAbort, with its partitions and groups) before
//! the markers are written, complete after. A broker killed in between finds the
//! prepared transaction on start and writes its markers again.

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
    /// The transactional id.
    pub transactional_id: String,
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
    /// The epoch before the last bump: a producer that missed the bump (a timed-out
    /// transaction, a lost InitProducerId response) may still re-initialise with it
    /// (KIP-360).
    previous_epoch: Option<i16>,
    timeout: Duration,
    ongoing_since: Option<Instant>,
    /// Wall-clock start of the open transaction (ms since the epoch), journaled so
    /// that its timeout still counts from its start after a restart.
    started_at_ms: i64,
    partitions: BTreeSet<(String, i32)>,
    groups: BTreeSet<String>,
    last_outcome: Option<bool>,
}

/// Where a journaled transactional id stood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JournaledState {
    /// No transaction open.
    Idle,
    /// A transaction open.
    Ongoing,
    /// A transaction ending (commit when true) whose markers may not all be written.
    Prepared(bool),
}

impl JournaledState {
    fn code(self) -> &'static str {
        match self {
            JournaledState::Idle => "0",
            JournaledState::Ongoing => "1",
            JournaledState::Prepared(true) => "2",
            JournaledState::Prepared(false) => "3",
        }
    }

    fn from_code(code: &str) -> Option<JournaledState> {
        Some(match code {
            "0" => JournaledState::Idle,
            "1" => JournaledState::Ongoing,
            "2" => JournaledState::Prepared(true),
            "3" => JournaledState::Prepared(false),
            _ => return None,
        })
    }
}

impl TransactionalId {
    fn new(producer_id: i64, timeout: Duration) -> TransactionalId {
        TransactionalId {
            producer_id,
            epoch: 0,
            previous_epoch: None,
            timeout,
            ongoing_since: None,
            started_at_ms: 0,
            partitions: BTreeSet::new(),
            groups: BTreeSet::new(),
            last_outcome: None,
        }
    }

    fn open(&mut self) {
        if self.ongoing_since.is_none() {
            self.ongoing_since = Some(Instant::now());
            self.started_at_ms = now_ms();
        }
    }

    fn end(&mut self, transactional_id: &str, committed: bool) -> EndedTransaction {
        self.ongoing_since = None;
        self.last_outcome = Some(committed);
        EndedTransaction {
            transactional_id: transactional_id.to_owned(),
            producer_id: self.producer_id,
            producer_epoch: self.epoch,
            partitions: std::mem::take(&mut self.partitions).into_iter().collect(),
            groups: std::mem::take(&mut self.groups).into_iter().collect(),
            committed,
        }
    }

    /// Bumps the epoch, moving to a new producer id when the epoch is exhausted.
    fn bump_epoch(&mut self, allocate: impl FnOnce() -> i64) {
        self.previous_epoch = Some(self.epoch);
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

fn now_ms() -> i64 {
    crate::broker::now_ms()
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
        let journaled = if state.ongoing_since.is_some() {
            JournaledState::Ongoing
        } else {
            JournaledState::Idle
        };
        self.write_journal(&journal_line(
            id,
            state,
            journaled,
            &state.partitions,
            &state.groups,
        ))
    }

    /// Journals `ended` as prepared: its markers are about to be written.
    fn journal_prepared(
        &self,
        state: &TransactionalId,
        ended: &EndedTransaction,
    ) -> Result<(), ResponseError> {
        let partitions = ended.partitions.iter().cloned().collect();
        let groups = ended.groups.iter().cloned().collect();
        self.write_journal(&journal_line(
            &ended.transactional_id,
            state,
            JournaledState::Prepared(ended.committed),
            &partitions,
            &groups,
        ))
    }

    fn write_journal(&self, line: &str) -> Result<(), ResponseError> {
        let Some(storage) = &self.storage else {
            return Ok(());
        };
        storage.append_transaction_record(line).map_err(|error| {
            tracing::error!(%error, "cannot journal transaction state");
            ResponseError::KafkaStorageError
        })
    }

    /// The markers of `ended` are written: journals its transactional id as it is
    /// now, so a restart does not write them again.
    pub fn markers_written(&self, ended: &EndedTransaction) {
        let ids = lock(&self.ids);
        let Some(state) = ids.get(&ended.transactional_id).cloned() else {
            return;
        };
        drop(ids);
        if let Err(error) = self.journal(&ended.transactional_id, &state) {
            tracing::error!(
                ?error,
                transactional_id = ended.transactional_id,
                "cannot journal a completed transaction"
            );
        }
    }

    /// Restores the journaled state (compacting the journal to one line per
    /// transactional id); returns the largest producer id seen and the
    /// transactions that were ending when the broker stopped, whose markers must
    /// be written (again) before serving.
    pub fn replay(&self) -> Result<(i64, Vec<EndedTransaction>), BrokerError> {
        let Some(storage) = &self.storage else {
            return Ok((0, Vec::new()));
        };
        let mut ids = lock(&self.ids);
        let mut journaled: HashMap<String, (JournaledState, String)> = HashMap::new();
        let mut max_producer_id = 0;
        for line in storage.transaction_records()? {
            match parse_journal_line(&line) {
                Some((id, state, kind)) => {
                    max_producer_id = max_producer_id.max(state.producer_id);
                    ids.insert(id.clone(), state);
                    journaled.insert(id, (kind, line));
                }
                None => tracing::warn!(line, "skipping an unreadable transaction journal line"),
            }
        }
        let mut lines: Vec<&String> = journaled.values().map(|(_, line)| line).collect();
        lines.sort();
        storage.rewrite_transaction_records(&lines)?;
        let mut prepared = Vec::new();
        for (id, (kind, _)) in &journaled {
            if let (JournaledState::Prepared(committed), Some(state)) = (kind, ids.get_mut(id)) {
                tracing::info!(transactional_id = %id, committed, "completing a transaction that was ending when the broker stopped");
                state.open();
                prepared.push(state.end(id, *committed));
            }
        }
        Ok((max_producer_id, prepared))
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
                    && (producer_id != state.producer_id
                        || (epoch != state.epoch && Some(epoch) != state.previous_epoch))
                {
                    return Err(ResponseError::ProducerFenced);
                }
                state.bump_epoch(allocate);
                state.timeout = timeout;
                state
            }
            None => ids
                .entry(id.to_owned())
                .or_insert(TransactionalId::new(allocate(), timeout)),
        };
        let aborted = state.ongoing_since.is_some().then(|| state.end(id, false));
        if aborted.is_some() {
            tracing::info!(
                transactional_id = id,
                "aborting the open transaction of a re-initialised producer"
            );
        }
        let (producer_id, epoch) = (state.producer_id, state.epoch);
        let snapshot = state.clone();
        drop(ids);
        match &aborted {
            Some(ended) => self.journal_prepared(&snapshot, ended)?,
            None => self.journal(id, &snapshot)?,
        }
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

    /// Checks a TxnOffsetCommit: `producer_id`/`epoch` is the current producer of
    /// `id` and its open transaction added `group` (AddOffsetsToTxn), as Kafka's
    /// transaction verification demands (INVALID_TXN_STATE otherwise). An older
    /// epoch gets INVALID_PRODUCER_EPOCH, as Kafka's append of the offsets to the
    /// offsets log answers a fenced producer.
    pub fn verify_offsets_commit(
        &self,
        id: &str,
        producer_id: i64,
        epoch: i16,
        group: &str,
    ) -> Result<(), ResponseError> {
        let mut ids = lock(&self.ids);
        let state =
            Self::verified(&mut ids, id, producer_id, epoch).map_err(|error| match error {
                ResponseError::ProducerFenced => ResponseError::InvalidProducerEpoch,
                other => other,
            })?;
        if state.ongoing_since.is_none() || !state.groups.contains(group) {
            return Err(ResponseError::InvalidTxnState);
        }
        Ok(())
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
        state.open();
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
        let ended = state.end(id, committed);
        let snapshot = state.clone();
        drop(ids);
        self.journal_prepared(&snapshot, &ended)?;
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
                let aborted = state.end(id, false);
                journal.push((state.clone(), aborted.clone()));
                ended.push(aborted);
            }
        }
        drop(ids);
        for (state, aborted) in journal {
            if let Err(error) = self.journal_prepared(&state, &aborted) {
                let id = aborted.transactional_id;
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

/// One journal line: hex id, producer id, epoch, timeout, state, partitions, hex
/// groups, start of the open transaction, previous epoch, last outcome.
fn journal_line(
    id: &str,
    state: &TransactionalId,
    journaled: JournaledState,
    partitions: &BTreeSet<(String, i32)>,
    groups: &BTreeSet<String>,
) -> String {
    let partitions: Vec<String> = partitions.iter().map(|(t, p)| format!("{t}:{p}")).collect();
    let groups: Vec<String> = groups.iter().map(|g| hex(g)).collect();
    let outcome = match state.last_outcome {
        Some(true) => "1",
        Some(false) => "0",
        None => "-1",
    };
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
        hex(id),
        state.producer_id,
        state.epoch,
        state.timeout.as_millis(),
        journaled.code(),
        partitions.join(","),
        groups.join(","),
        state.started_at_ms,
        state.previous_epoch.unwrap_or(-1),
        outcome,
    )
}

/// Parses a journal line (lines of older brokers lack the last three fields).
fn parse_journal_line(line: &str) -> Option<(String, TransactionalId, JournaledState)> {
    let fields: Vec<&str> = line.split('\t').collect();
    let id = unhex(fields.first()?)?;
    let producer_id: i64 = fields.get(1)?.parse().ok()?;
    let epoch: i16 = fields.get(2)?.parse().ok()?;
    let timeout = Duration::from_millis(fields.get(3)?.parse().ok()?);
    let journaled = JournaledState::from_code(fields.get(4)?)?;
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
    let optional = |index: usize, default: i64| -> Option<i64> {
        fields.get(index).map_or(Some(default), |f| f.parse().ok())
    };
    let started_at_ms = optional(7, now_ms())?;
    let previous_epoch = i16::try_from(optional(8, -1)?).ok().filter(|e| *e >= 0);
    let last_outcome = match optional(9, -1)? {
        1 => Some(true),
        0 => Some(false),
        _ => None,
    };
    let ongoing_since = (journaled == JournaledState::Ongoing).then(|| {
        let elapsed = u64::try_from(now_ms().saturating_sub(started_at_ms)).unwrap_or(0);
        Instant::now()
            .checked_sub(Duration::from_millis(elapsed))
            .unwrap_or_else(Instant::now)
    });
    let state = TransactionalId {
        producer_id,
        epoch,
        previous_epoch,
        timeout,
        ongoing_since,
        started_at_ms,
        partitions,
        groups,
        last_outcome,
    };
    Some((id, state, journaled))
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
    fn a_transaction_ending_when_the_broker_stopped_is_completed_on_replay() {
        let dir = tempfile::tempdir().expect("dir");
        let storage = Storage::open(dir.path()).expect("storage");
        let coordinator = TransactionCoordinator::new(Some(storage.clone()));
        let (pid, epoch, _) = coordinator
            .init_producer("t", Duration::from_secs(60), None, || 5)
            .expect("init");
        coordinator
            .add_to_transaction("t", pid, epoch, &[("a".into(), 0)], Some("g"))
            .expect("add");
        coordinator
            .end_transaction("t", pid, epoch, true)
            .expect("end")
            .expect("an ending transaction");
        // The broker stops before the markers are written; the journal's last line
        // is torn.
        storage.append_transaction_record("74\t5").expect("journal");
        let journal = dir.path().join("transactions.log");
        let torn = std::fs::read(&journal).expect("journal");
        std::fs::write(&journal, &torn[..torn.len() - 1]).expect("tear");

        let restarted = TransactionCoordinator::new(Some(storage.clone()));
        let (max_producer_id, prepared) = restarted.replay().expect("replay");
        assert_eq!(max_producer_id, pid);
        assert_eq!(prepared.len(), 1);
        assert_eq!(prepared[0].partitions, vec![("a".to_owned(), 0)]);
        assert_eq!(prepared[0].groups, vec!["g".to_owned()]);
        assert!(prepared[0].committed);
        restarted.markers_written(&prepared[0]);
        assert_eq!(restarted.end_transaction("t", pid, epoch, true), Ok(None));
        assert_eq!(
            restarted.end_transaction("t", pid, epoch, false),
            Err(ResponseError::InvalidTxnState)
        );

        let again = TransactionCoordinator::new(Some(storage));
        let (_, prepared) = again.replay().expect("replay");
        assert!(prepared.is_empty(), "the markers were written once");
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
        let (_, recovered, _) = coordinator
            .init_producer("t", Duration::ZERO, Some((pid, epoch)), || 100)
            .expect("the timed-out producer may re-initialise with its last epoch");
        assert_eq!(recovered, 2);
        assert_eq!(
            coordinator.init_producer("t", Duration::ZERO, Some((pid, 0)), || 100),
            Err(ResponseError::ProducerFenced),
            "an epoch two bumps old is fenced"
        );
    }
}
