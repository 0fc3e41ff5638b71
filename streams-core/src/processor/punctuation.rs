//! Punctuation: callbacks a processor schedules on stream time or wall-clock time.

use std::time::Duration;

/// What drives a punctuator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PunctuationType {
    /// Fires as stream time (the largest record timestamp a task has processed)
    /// passes each interval boundary; no records, no punctuation.
    StreamTime,
    /// Fires as the wall clock passes each interval boundary, records or not.
    WallClockTime,
}

/// Identifies a scheduled punctuator, so a processor with several can tell them
/// apart in [`Processor::punctuate`](super::Processor::punctuate) and cancel one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PunctuatorId(pub(crate) u64);

/// One scheduled punctuator of a task.
#[derive(Debug, Clone)]
pub(crate) struct PunctuationSchedule {
    pub(crate) id: PunctuatorId,
    pub(crate) node: usize,
    pub(crate) kind: PunctuationType,
    pub(crate) interval_ms: i64,
    pub(crate) next_ms: i64,
}

impl PunctuationSchedule {
    /// Moves the next firing time past `now`, keeping the grid of the first one, so
    /// a jump over several intervals fires once (as Kafka Streams does).
    pub(crate) fn advance_past(&mut self, now: i64) {
        let behind = now - self.next_ms;
        self.next_ms += (behind / self.interval_ms + 1) * self.interval_ms;
    }
}

/// The punctuators of one task.
#[derive(Debug, Default)]
pub(crate) struct PunctuationQueue {
    schedules: Vec<PunctuationSchedule>,
    next_id: u64,
}

impl PunctuationQueue {
    pub(crate) fn schedule(
        &mut self,
        node: usize,
        kind: PunctuationType,
        interval: Duration,
        now: i64,
    ) -> PunctuatorId {
        let interval_ms = i64::try_from(interval.as_millis())
            .unwrap_or(i64::MAX)
            .max(1);
        let id = PunctuatorId(self.next_id);
        self.next_id += 1;
        // Stream-time punctuators are aligned to 0 and fire as soon as there is data;
        // wall-clock punctuators first fire one interval from now.
        let next_ms = match kind {
            PunctuationType::StreamTime => 0,
            PunctuationType::WallClockTime => now.saturating_add(interval_ms),
        };
        self.schedules.push(PunctuationSchedule {
            id,
            node,
            kind,
            interval_ms,
            next_ms,
        });
        id
    }

    pub(crate) fn cancel(&mut self, id: PunctuatorId) {
        self.schedules.retain(|s| s.id != id);
    }

    /// Punctuators of `kind` due at `now`, advanced past it, in scheduling order.
    pub(crate) fn take_due(
        &mut self,
        kind: PunctuationType,
        now: i64,
    ) -> Vec<(PunctuatorId, usize)> {
        let mut due = Vec::new();
        for schedule in &mut self.schedules {
            if schedule.kind == kind && schedule.next_ms <= now {
                due.push((schedule.id, schedule.node));
                schedule.advance_past(now);
            }
        }
        due
    }

    /// True when a punctuator with this id is still scheduled.
    pub(crate) fn is_scheduled(&self, id: PunctuatorId) -> bool {
        self.schedules.iter().any(|s| s.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_time_punctuation_fires_once_per_jump_on_a_grid() {
        let mut queue = PunctuationQueue::default();
        let id = queue.schedule(
            0,
            PunctuationType::StreamTime,
            Duration::from_millis(300),
            0,
        );
        assert_eq!(
            queue.take_due(PunctuationType::StreamTime, 1_000),
            vec![(id, 0)]
        );
        assert!(
            queue
                .take_due(PunctuationType::StreamTime, 1_199)
                .is_empty()
        );
        assert_eq!(
            queue.take_due(PunctuationType::StreamTime, 1_200),
            vec![(id, 0)]
        );
        assert!(
            queue
                .take_due(PunctuationType::WallClockTime, 10_000)
                .is_empty()
        );
    }

    #[test]
    fn wall_clock_punctuation_starts_one_interval_out_and_can_be_cancelled() {
        let mut queue = PunctuationQueue::default();
        let id = queue.schedule(
            3,
            PunctuationType::WallClockTime,
            Duration::from_secs(1),
            5_000,
        );
        assert!(
            queue
                .take_due(PunctuationType::WallClockTime, 5_999)
                .is_empty()
        );
        assert_eq!(
            queue.take_due(PunctuationType::WallClockTime, 6_000),
            vec![(id, 3)]
        );
        queue.cancel(id);
        assert!(!queue.is_scheduled(id));
        assert!(
            queue
                .take_due(PunctuationType::WallClockTime, 60_000)
                .is_empty()
        );
    }
}
