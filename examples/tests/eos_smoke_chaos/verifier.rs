//! The read_committed verifier: reads the input and every output topic to
//! their ends and compares, key by key, each output sequence with what a
//! direct computation of the input (in its order per partition) gives:
//! every echo exactly once, and the cnt / sum / max / min updates with no
//! duplicate, no gap and in order.

use examples::eos_smoke::{DATA_TOPIC, OUTPUT_TOPICS, decode_output, expected_outputs};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::time::{Duration, Instant};

/// How long reading one topic to its end may take.
const READ_TIMEOUT: Duration = Duration::from_secs(120);

/// A record's key and value bytes.
type Bytes = (Option<Vec<u8>>, Option<Vec<u8>>);

/// How one output topic compares with the expected output.
#[derive(Debug, Clone, Default)]
pub struct TopicCheck {
    /// The topic.
    pub topic: String,
    /// Records the input implies.
    pub expected: usize,
    /// Records found.
    pub found: usize,
    /// Records found more often than expected (duplicates or wrong values).
    pub extra: usize,
    /// Expected records not found (gaps or wrong values).
    pub missing: usize,
    /// Keys whose sequence is not exactly the expected one.
    pub keys_differing: usize,
    /// Where the first differing key first differs.
    pub first_difference: Option<String>,
}

impl TopicCheck {
    /// Whether every key's sequence is exactly the expected one.
    pub fn is_exact(&self) -> bool {
        self.keys_differing == 0 && self.extra == 0 && self.missing == 0
    }
}

/// The outcome of a verification.
#[derive(Debug, Clone)]
pub struct Verification {
    /// Input records read.
    pub input_records: usize,
    /// Distinct input keys.
    pub keys: usize,
    /// One check per output topic, in `OUTPUT_TOPICS` order.
    pub topics: Vec<TopicCheck>,
}

impl Verification {
    /// Whether every output topic is exactly as expected.
    pub fn is_exact(&self) -> bool {
        self.topics.iter().all(TopicCheck::is_exact)
    }

    /// The check of `topic`.
    pub fn topic(&self, topic: &str) -> &TopicCheck {
        self.topics
            .iter()
            .find(|t| t.topic == topic)
            .unwrap_or_else(|| panic!("no check of topic {topic}"))
    }
}

impl fmt::Display for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} input records, {} keys",
            self.input_records, self.keys
        )?;
        for t in &self.topics {
            writeln!(
                f,
                "  {:<5} expected {:>7} found {:>7} extra {:>6} missing {:>6} keys differing {:>4}{}",
                t.topic,
                t.expected,
                t.found,
                t.extra,
                t.missing,
                t.keys_differing,
                t.first_difference
                    .as_deref()
                    .map_or(String::new(), |d| format!("; first: {d}"))
            )?;
        }
        Ok(())
    }
}

/// Reads the input and the outputs (read_committed) and compares them.
/// Writers should be stopped, so the topics' ends are final.
pub fn verify(bootstrap_servers: &str) -> Result<Verification, String> {
    let mut input: BTreeMap<String, Vec<i32>> = BTreeMap::new();
    let mut input_records = 0;
    for (key, value) in read_topic(bootstrap_servers, DATA_TOPIC)?
        .into_iter()
        .flatten()
    {
        let key = utf8_key(DATA_TOPIC, key)?;
        let value = match value.as_deref() {
            Some(&[a, b, c, d]) => i32::from_be_bytes([a, b, c, d]),
            other => return Err(format!("input record of {key} has value {other:?}")),
        };
        input.entry(key).or_default().push(value);
        input_records += 1;
    }
    let expected: BTreeMap<&str, [Vec<i64>; 5]> = input
        .iter()
        .map(|(key, values)| (key.as_str(), expected_outputs(values)))
        .collect();
    let mut topics = Vec::new();
    for (index, topic) in OUTPUT_TOPICS.into_iter().enumerate() {
        let mut found: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for (key, value) in read_topic(bootstrap_servers, topic)?.into_iter().flatten() {
            let key = utf8_key(topic, key)?;
            let value = value.ok_or_else(|| format!("a null value for {key} on {topic}"))?;
            found
                .entry(key)
                .or_default()
                .push(decode_output(topic, &value)?);
        }
        topics.push(check_topic(topic, &expected, &found, index));
    }
    Ok(Verification {
        input_records,
        keys: input.len(),
        topics,
    })
}

/// Compares every key of the expected and the found output of one topic.
fn check_topic(
    topic: &str,
    expected: &BTreeMap<&str, [Vec<i64>; 5]>,
    found: &BTreeMap<String, Vec<i64>>,
    index: usize,
) -> TopicCheck {
    let mut check = TopicCheck {
        topic: topic.to_string(),
        ..TopicCheck::default()
    };
    let mut keys: Vec<&str> = expected.keys().copied().collect();
    keys.extend(
        found
            .keys()
            .map(String::as_str)
            .filter(|k| !expected.contains_key(k)),
    );
    let no_records = Vec::new();
    for key in keys {
        let wanted = expected.get(key).map_or(&no_records, |e| &e[index]);
        let got = found.get(key).unwrap_or(&no_records);
        compare(key, wanted, got, &mut check);
    }
    check
}

/// Adds one key's comparison to `check`.
fn compare(key: &str, wanted: &[i64], got: &[i64], check: &mut TopicCheck) {
    check.expected += wanted.len();
    check.found += got.len();
    if wanted == got {
        return;
    }
    check.keys_differing += 1;
    let mut counts: HashMap<i64, i64> = HashMap::new();
    for value in wanted {
        *counts.entry(*value).or_default() += 1;
    }
    for value in got {
        *counts.entry(*value).or_default() -= 1;
    }
    for count in counts.values() {
        if *count > 0 {
            check.missing += *count as usize;
        } else {
            check.extra += (-*count) as usize;
        }
    }
    if check.first_difference.is_none() {
        let at = wanted
            .iter()
            .zip(got)
            .position(|(w, g)| w != g)
            .unwrap_or(wanted.len().min(got.len()));
        check.first_difference = Some(format!(
            "{key} at update {at}: expected {:?}, found {:?} ({} expected, {} found)",
            wanted.get(at),
            got.get(at),
            wanted.len(),
            got.len()
        ));
    }
}

fn utf8_key(topic: &str, key: Option<Vec<u8>>) -> Result<String, String> {
    let key = key.ok_or_else(|| format!("a record with a null key on {topic}"))?;
    String::from_utf8(key).map_err(|e| format!("a key on {topic} is not UTF-8: {e}"))
}

/// Every committed record of `topic`, partition by partition, in offset order.
pub fn read_topic(bootstrap_servers: &str, topic: &str) -> Result<Vec<Vec<Bytes>>, String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers)
        .set("group.id", format!("eos-smoke-verifier-{topic}"))
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .set("enable.partition.eof", "true")
        .create()
        .map_err(|e| format!("creating the verifier's consumer: {e}"))?;
    let metadata = consumer
        .fetch_metadata(Some(topic), READ_TIMEOUT)
        .map_err(|e| format!("reading the metadata of {topic}: {e}"))?;
    let partitions = metadata
        .topics()
        .first()
        .map_or(0, |t| t.partitions().len());
    if partitions == 0 {
        return Err(format!("topic {topic} has no partitions"));
    }
    let mut list = TopicPartitionList::new();
    for partition in 0..partitions as i32 {
        list.add_partition_offset(topic, partition, Offset::Beginning)
            .map_err(|e| e.to_string())?;
    }
    consumer.assign(&list).map_err(|e| e.to_string())?;
    let mut records: Vec<Vec<Bytes>> = vec![Vec::new(); partitions];
    // The end of a partition (for read_committed its last stable offset) is
    // where the consumer reports end-of-partition.
    let mut at_end = vec![false; partitions];
    let deadline = Instant::now() + READ_TIMEOUT;
    while at_end.iter().any(|done| !done) {
        if Instant::now() > deadline {
            return Err(format!(
                "reading {topic} to its end took longer than {READ_TIMEOUT:?}"
            ));
        }
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Ok(message)) => {
                records[message.partition() as usize].push((
                    message.key().map(<[u8]>::to_vec),
                    message.payload().map(<[u8]>::to_vec),
                ));
            }
            Some(Err(KafkaError::PartitionEOF(partition))) => {
                at_end[partition as usize] = true;
            }
            Some(Err(error)) => return Err(format!("reading {topic}: {error}")),
        }
    }
    Ok(records)
}
