//! Producer errors, classified: every error the producer reports (a failed
//! delivery, a flush that timed out, a transactional call that failed) keeps
//! librdkafka's [`KafkaError`] and gets the [`ErrorClass`] the commit protocols
//! act on, following librdkafka's transactional error model (retriable,
//! abortable, fatal) and Kafka Streams' fencing rule (a newer producer or group
//! generation owns the tasks: they migrated).

use rdkafka::error::{KafkaError, RDKafkaErrorCode};

/// What kind of failure a producer error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorClass {
    /// Temporary (a timeout, an unreachable coordinator): the call may be
    /// repeated; under at-least-once the thread's tasks are given up instead,
    /// since what was sent but not acknowledged cannot be vouched for.
    Retriable,
    /// The transaction failed but the producer is usable: abort it, rewind to
    /// the last commit and go on.
    Abortable,
    /// A newer producer with the same `transactional.id`, or a newer group
    /// generation, owns the tasks: they migrated (closed without a commit, the
    /// thread rejoins).
    Fenced,
    /// Anything else: the error stops the thread.
    Fatal,
}

/// A producer operation that failed, with librdkafka's error and its class.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{operation} failed: {error}")]
pub(crate) struct ProducerError {
    /// What was being done.
    pub(crate) operation: String,
    /// librdkafka's error.
    pub(crate) error: KafkaError,
    /// How to react to it.
    pub(crate) class: ErrorClass,
}

/// librdkafka's flags on a transactional error.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TransactionFlags {
    /// The producer is unusable.
    pub(crate) fatal: bool,
    /// The transaction must be aborted.
    pub(crate) abortable: bool,
    /// The call may be retried.
    pub(crate) retriable: bool,
}

impl ProducerError {
    /// An error of a transactional call (or of the flush inside one).
    pub(crate) fn transactional(operation: impl Into<String>, error: KafkaError) -> Self {
        let class = match &error {
            KafkaError::Transaction(rd) => classify(
                rd.code(),
                TransactionFlags {
                    fatal: rd.is_fatal(),
                    abortable: rd.txn_requires_abort(),
                    retriable: rd.is_retriable(),
                },
            ),
            other => classify_code(other.rdkafka_error_code()),
        };
        Self {
            operation: operation.into(),
            error,
            class,
        }
    }

    /// An error of a non-transactional call: a delivery report, a flush, a send.
    pub(crate) fn delivery(operation: impl Into<String>, error: KafkaError) -> Self {
        let class = classify_code(error.rdkafka_error_code());
        Self {
            operation: operation.into(),
            error,
            class,
        }
    }

    /// The error as the thread reports it when it cannot go on.
    pub(crate) fn into_runtime_error(self) -> super::RuntimeError {
        super::RuntimeError::Kafka {
            operation: self.operation,
            source: self.error,
        }
    }
}

/// Codes meaning that the tasks belong to someone else now: a newer producer
/// epoch for the `transactional.id` (librdkafka reports fencing as `_FENCED`),
/// or a newer group generation refusing this member's offsets.
fn is_fencing(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::Fenced
            | RDKafkaErrorCode::ProducerFenced
            | RDKafkaErrorCode::InvalidProducerEpoch
            | RDKafkaErrorCode::InvalidProducerIdMapping
            | RDKafkaErrorCode::UnknownProducerId
            | RDKafkaErrorCode::IllegalGeneration
            | RDKafkaErrorCode::UnknownMemberId
            | RDKafkaErrorCode::FencedInstanceId
            | RDKafkaErrorCode::RebalanceInProgress
            | RDKafkaErrorCode::AssignmentLost
    )
}

/// The class of a transactional error: fencing first (librdkafka marks it
/// fatal, but the tasks only migrated), then librdkafka's own flags; an error
/// with no flag is fatal, as librdkafka recommends.
pub(crate) fn classify(code: RDKafkaErrorCode, flags: TransactionFlags) -> ErrorClass {
    if is_fencing(code) {
        ErrorClass::Fenced
    } else if flags.fatal {
        ErrorClass::Fatal
    } else if flags.abortable {
        ErrorClass::Abortable
    } else if flags.retriable {
        ErrorClass::Retriable
    } else {
        ErrorClass::Fatal
    }
}

/// The class of an error that carries only a code (delivery reports, flush).
fn classify_code(code: Option<RDKafkaErrorCode>) -> ErrorClass {
    match code {
        Some(code) if is_fencing(code) => ErrorClass::Fenced,
        Some(
            RDKafkaErrorCode::MessageTimedOut
            | RDKafkaErrorCode::OperationTimedOut
            | RDKafkaErrorCode::RequestTimedOut
            | RDKafkaErrorCode::BrokerTransportFailure
            | RDKafkaErrorCode::AllBrokersDown
            | RDKafkaErrorCode::NotEnoughReplicas
            | RDKafkaErrorCode::NotEnoughReplicasAfterAppend
            | RDKafkaErrorCode::QueueFull,
        ) => ErrorClass::Retriable,
        // Purged by an abort: the transaction is already being abandoned.
        Some(RDKafkaErrorCode::PurgeQueue | RDKafkaErrorCode::PurgeInflight) => {
            ErrorClass::Abortable
        }
        _ => ErrorClass::Fatal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: TransactionFlags = TransactionFlags {
        fatal: false,
        abortable: false,
        retriable: false,
    };

    #[test]
    fn fencing_wins_over_librdkafkas_fatal_flag() {
        let fatal = TransactionFlags {
            fatal: true,
            ..NONE
        };
        for code in [
            RDKafkaErrorCode::Fenced,
            RDKafkaErrorCode::ProducerFenced,
            RDKafkaErrorCode::InvalidProducerEpoch,
        ] {
            assert_eq!(classify(code, fatal), ErrorClass::Fenced, "{code:?}");
        }
        // A stale generation's offsets are refused inside the transaction
        // (librdkafka: abortable): the tasks migrated.
        let abortable = TransactionFlags {
            abortable: true,
            ..NONE
        };
        for code in [
            RDKafkaErrorCode::IllegalGeneration,
            RDKafkaErrorCode::UnknownMemberId,
            RDKafkaErrorCode::FencedInstanceId,
        ] {
            assert_eq!(classify(code, abortable), ErrorClass::Fenced, "{code:?}");
        }
    }

    #[test]
    fn librdkafkas_flags_decide_the_rest_and_no_flag_is_fatal() {
        let code = RDKafkaErrorCode::InvalidTransactionalState;
        assert_eq!(
            classify(
                code,
                TransactionFlags {
                    fatal: true,
                    ..NONE
                }
            ),
            ErrorClass::Fatal
        );
        assert_eq!(
            classify(
                code,
                TransactionFlags {
                    abortable: true,
                    retriable: true,
                    ..NONE
                }
            ),
            ErrorClass::Abortable
        );
        assert_eq!(
            classify(
                RDKafkaErrorCode::OperationTimedOut,
                TransactionFlags {
                    retriable: true,
                    ..NONE
                }
            ),
            ErrorClass::Retriable
        );
        assert_eq!(classify(code, NONE), ErrorClass::Fatal);
    }

    #[test]
    fn delivery_errors_are_classified_by_code_and_keep_their_kafka_error() {
        let timed_out = ProducerError::delivery(
            "delivering a record",
            KafkaError::MessageProduction(RDKafkaErrorCode::MessageTimedOut),
        );
        assert_eq!(timed_out.class, ErrorClass::Retriable);
        assert_eq!(
            timed_out.error,
            KafkaError::MessageProduction(RDKafkaErrorCode::MessageTimedOut)
        );
        let flush = ProducerError::transactional(
            "committing the transaction",
            KafkaError::Flush(RDKafkaErrorCode::OperationTimedOut),
        );
        assert_eq!(flush.class, ErrorClass::Retriable);
        let fenced = ProducerError::delivery(
            "delivering a record",
            KafkaError::MessageProduction(RDKafkaErrorCode::ProducerFenced),
        );
        assert_eq!(fenced.class, ErrorClass::Fenced);
        let too_large = ProducerError::delivery(
            "delivering a record",
            KafkaError::MessageProduction(RDKafkaErrorCode::MessageSizeTooLarge),
        );
        assert_eq!(too_large.class, ErrorClass::Fatal);
        assert!(
            too_large.to_string().contains("delivering a record failed"),
            "{too_large}"
        );
        let purged = ProducerError::delivery(
            "delivering a record",
            KafkaError::MessageProduction(RDKafkaErrorCode::PurgeQueue),
        );
        assert_eq!(purged.class, ErrorClass::Abortable);
    }
}
