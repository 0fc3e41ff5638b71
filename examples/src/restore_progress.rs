//! Restore progress of an example's state stores: one progress bar on stderr
//! (indicatif) over every store partition being restored, drawn only when
//! stderr is a terminal. Elsewhere nothing is drawn and the runtime's own log
//! lines say what restores (`RUST_LOG=streams_core=info`: each task's start,
//! progress and end, as structured fields).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::atomic::{AtomicUsize, Ordering};
use streams_core::runtime::StateRestoreListener;
use streams_state::TopicPartition;

const TEMPLATE: &str =
    "restoring state {bar:40} {human_pos}/{human_len} records ({per_sec}, eta {eta}) {msg}";

/// A [`StateRestoreListener`] that draws the instance's restoration as one
/// progress bar: its length grows by each changelog partition's records to
/// restore as it starts, and it finishes when the last one ends.
///
/// ```no_run
/// # fn demo(streams: &mut streams_core::runtime::KafkaStreams) -> Result<(), streams_core::runtime::RuntimeError> {
/// streams.set_global_state_restore_listener(examples::restore_progress::RestoreProgress::on_stderr())?;
/// # Ok(()) }
/// ```
pub struct RestoreProgress {
    bar: ProgressBar,
    /// Store partitions started and not yet ended or suspended.
    restoring: AtomicUsize,
}

impl RestoreProgress {
    /// Draws on stderr when it is a terminal, else stays hidden.
    pub fn on_stderr() -> Self {
        Self::drawn_on(ProgressDrawTarget::stderr())
    }

    fn drawn_on(target: ProgressDrawTarget) -> Self {
        let bar = ProgressBar::with_draw_target(Some(0), target);
        if let Ok(style) = ProgressStyle::with_template(TEMPLATE) {
            bar.set_style(style);
        }
        Self {
            bar,
            restoring: AtomicUsize::new(0),
        }
    }

    /// One store partition stopped restoring: the bar finishes with the last.
    fn stopped(&self) {
        if self.restoring.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.bar.finish_with_message("done");
        }
    }
}

impl StateRestoreListener for RestoreProgress {
    fn on_restore_start(&self, partition: &TopicPartition, store: &str, start: i64, end: i64) {
        if self.restoring.fetch_add(1, Ordering::SeqCst) == 0 && self.bar.is_finished() {
            // A later restoration (after a rebalance) starts a new bar.
            self.bar.reset();
            self.bar.set_length(0);
        }
        self.bar.inc_length(u64::try_from(end - start).unwrap_or(0));
        self.bar.set_message(format!(
            "{store} <- {}-{}",
            partition.topic, partition.partition
        ));
    }

    fn on_batch_restored(&self, _: &TopicPartition, _: &str, _: i64, records: u64) {
        self.bar.inc(records);
    }

    fn on_restore_end(&self, _: &TopicPartition, _: &str, _: u64) {
        self.stopped();
    }

    fn on_restore_suspended(&self, _: &TopicPartition, _: &str, _: u64) {
        self.stopped();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_spans_every_partition_and_finishes_with_the_last() {
        let progress = RestoreProgress::drawn_on(ProgressDrawTarget::hidden());
        let (p0, p1) = (
            TopicPartition::new("app-counts-changelog", 0),
            TopicPartition::new("app-counts-changelog", 1),
        );
        progress.on_restore_start(&p0, "counts", 10, 110);
        progress.on_restore_start(&p1, "counts", 0, 50);
        assert_eq!(progress.bar.length(), Some(150));
        progress.on_batch_restored(&p0, "counts", 109, 100);
        progress.on_restore_end(&p0, "counts", 100);
        assert!(!progress.bar.is_finished(), "one partition still restores");
        progress.on_batch_restored(&p1, "counts", 49, 50);
        progress.on_restore_end(&p1, "counts", 50);
        assert_eq!(progress.bar.position(), 150);
        assert!(progress.bar.is_finished());

        progress.on_restore_start(&p0, "counts", 110, 130);
        assert_eq!(
            (progress.bar.length(), progress.bar.position()),
            (Some(20), 0),
            "a restoration after a rebalance starts a new bar"
        );
        progress.on_restore_suspended(&p0, "counts", 5);
        assert!(progress.bar.is_finished());
    }
}
