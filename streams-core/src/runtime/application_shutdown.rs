//! Shutting the whole application down (the uncaught-exception handler's
//! SHUTDOWN_APPLICATION). Kafka Streams carries the request in the group's
//! assignment; librdkafka lets no application code into the assignment, so
//! here the instances share a one-partition control topic,
//! `<application.id>-control`, created at startup: the instance whose
//! handler asks writes a request there, and every instance watches the topic
//! from where it stood when the instance started, failing with
//! [`RuntimeError::ApplicationShutdown`] when a request arrives.

use super::{RuntimeError, StreamsConfig};
use rdkafka::Offset;
use rdkafka::TopicPartitionList;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long the watcher blocks in one poll (so how soon it sees a stop).
const WATCH_POLL: Duration = Duration::from_millis(200);

/// The control topic of `application_id`.
pub(crate) fn control_topic(application_id: &str) -> String {
    format!("{application_id}-control")
}

/// A request to shut the application down, as written to the control topic.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
struct ShutdownRequest {
    process_id: String,
    reason: String,
}

/// The control-topic record of a request.
fn encode_request(process_id: &str, reason: &str) -> String {
    serde_json::json!({ "process_id": process_id, "reason": reason }).to_string()
}

/// Creates the control topic unless it exists.
pub(crate) fn create_control_topic(
    config: &StreamsConfig,
    timeout: Duration,
) -> Result<(), RuntimeError> {
    let admin: AdminClient<DefaultClientContext> = config
        .admin_config()
        .create()
        .map_err(|e| RuntimeError::kafka("creating the admin client", e))?;
    let topic = control_topic(config.application_id());
    let new_topic = NewTopic::new(
        &topic,
        1,
        TopicReplication::Fixed(config.replication_factor()),
    )
    .set("cleanup.policy", "delete")
    .set("retention.ms", "604800000");
    let options = AdminOptions::new()
        .operation_timeout(Some(timeout))
        .request_timeout(Some(timeout));
    let results = futures::executor::block_on(admin.create_topics([&new_topic], &options))
        .map_err(|e| RuntimeError::kafka("creating the control topic", e))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => {
                return Err(RuntimeError::kafka(
                    format!("creating the control topic '{name}'"),
                    KafkaError::AdminOp(code),
                ));
            }
        }
    }
    Ok(())
}

/// Writes a shutdown request from instance `process_id`.
pub(crate) fn request_shutdown(
    config: &StreamsConfig,
    process_id: &str,
    reason: &str,
    timeout: Duration,
) -> Result<(), RuntimeError> {
    let producer: BaseProducer = config
        .producer_config("shutdown-request")
        .create()
        .map_err(|e| RuntimeError::kafka("creating the shutdown-request producer", e))?;
    let topic = control_topic(config.application_id());
    let payload = encode_request(process_id, reason);
    producer
        .send(BaseRecord::<(), str>::to(&topic).payload(&payload))
        .map_err(|(e, _)| RuntimeError::kafka("sending the shutdown request", e))?;
    producer
        .flush(timeout)
        .map_err(|e| RuntimeError::kafka("sending the shutdown request", e))
}

/// Watches the control topic on a thread of its own until stopped.
pub(crate) struct ShutdownWatcher {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ShutdownWatcher {
    /// Starts watching from the control topic's current end; `on_request`
    /// is called (once) when a request of another instance arrives (the
    /// instance `own_process_id` names fails with its own error instead).
    pub(crate) fn start(
        config: &StreamsConfig,
        own_process_id: &str,
        request_timeout: Duration,
        on_request: impl Fn(RuntimeError) + Send + 'static,
    ) -> Result<Self, RuntimeError> {
        // A request must be read before the failed instance's partitions
        // reach another one: fetch without librdkafka's 500 ms long-poll wait.
        let consumer: BaseConsumer = config
            .restore_consumer_config("control-watcher")
            .set("fetch.wait.max.ms", "20")
            .create()
            .map_err(|e| RuntimeError::kafka("creating the control topic watcher", e))?;
        let topic = control_topic(config.application_id());
        let (_, end) = consumer
            .fetch_watermarks(&topic, 0, request_timeout)
            .map_err(|e| RuntimeError::kafka("reading the end of the control topic", e))?;
        let mut list = TopicPartitionList::new();
        list.add_partition_offset(&topic, 0, Offset::Offset(end))
            .map_err(|e| RuntimeError::kafka("watching the control topic", e))?;
        consumer
            .assign(&list)
            .map_err(|e| RuntimeError::kafka("watching the control topic", e))?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let own_process_id = own_process_id.to_string();
        let thread = std::thread::Builder::new()
            .name(format!("{}-control-watcher", config.application_id()))
            .spawn(move || {
                while !stopped.load(Ordering::SeqCst) {
                    let Some(result) = consumer.poll(WATCH_POLL) else {
                        continue;
                    };
                    let message = match result {
                        Ok(message) => message,
                        Err(error) => {
                            tracing::debug!(%error, "reading the control topic failed");
                            continue;
                        }
                    };
                    let Some(request) = message
                        .payload()
                        .and_then(|p| serde_json::from_slice::<ShutdownRequest>(p).ok())
                    else {
                        tracing::warn!(offset = message.offset(), "ignoring an unreadable record on the control topic");
                        continue;
                    };
                    if request.process_id == own_process_id {
                        continue;
                    }
                    tracing::error!(by = %request.process_id, reason = %request.reason, "the application is being shut down");
                    on_request(RuntimeError::ApplicationShutdown {
                        process_id: request.process_id,
                        reason: request.reason,
                    });
                    break;
                }
            })
            .map_err(|source| RuntimeError::ThreadSpawn {
                thread: "control-watcher".into(),
                source,
            })?;
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }

    /// Stops watching and waits for the thread.
    pub(crate) fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the control topic watcher panicked");
        }
    }
}

impl Drop for ShutdownWatcher {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_through_json() {
        let bytes = encode_request("p-1", "task 0_1 \"panicked\"");
        assert_eq!(
            serde_json::from_str::<ShutdownRequest>(&bytes).unwrap(),
            ShutdownRequest {
                process_id: "p-1".into(),
                reason: "task 0_1 \"panicked\"".into(),
            }
        );
        assert_eq!(control_topic("app"), "app-control");
    }
}
