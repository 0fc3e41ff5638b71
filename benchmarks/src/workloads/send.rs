//! Producing as fast as librdkafka's queue allows: a send that finds the
//! producer's queue full waits for room instead of failing, up to a deadline.

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::ToBytes;
use rdkafka::producer::{BaseProducer, BaseRecord, DefaultProducerContext, ThreadedProducer};
use std::error::Error;
use std::time::{Duration, Instant};

/// The producer a workload sends with.
#[derive(Clone, Copy)]
pub(super) enum Sender<'p> {
    /// Polled by the sending thread.
    Base(&'p BaseProducer),
    /// Polled by its own thread.
    Threaded(&'p ThreadedProducer<DefaultProducerContext>),
}

/// Sends `record`, polling for `wait` (which serves delivery reports and so
/// frees room) while the producer's queue is full; fails if it is still full
/// at `deadline`, or on any other error.
pub(super) fn send_when_room<K, P>(
    producer: Sender<'_>,
    mut record: BaseRecord<'_, K, P>,
    wait: Duration,
    deadline: Instant,
) -> Result<(), Box<dyn Error>>
where
    K: ToBytes + ?Sized,
    P: ToBytes + ?Sized,
{
    loop {
        let sent = match producer {
            Sender::Base(producer) => producer.send(record),
            Sender::Threaded(producer) => producer.send(record),
        };
        match sent {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), unsent)) => {
                if Instant::now() > deadline {
                    return Err("the producer's queue stayed full".into());
                }
                record = unsent;
                match producer {
                    Sender::Base(producer) => {
                        producer.poll(wait);
                    }
                    Sender::Threaded(producer) => producer.poll(wait),
                }
            }
            Err((error, _)) => return Err(error.into()),
        }
    }
}
