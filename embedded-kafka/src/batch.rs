//! Record batch (magic v2) headers: read the fields the broker needs without decoding
//! records, and build the control batches that mark transaction outcomes.

use bytes::{BufMut, Bytes, BytesMut};

/// Size of the v2 record batch header that precedes the records.
pub const HEADER_LEN: usize = 61;
/// Offset of `batchLength` counted from the start of the batch.
const LENGTH_AT: usize = 8;
/// Bytes before `batchLength` counts: baseOffset and batchLength itself.
const LOG_OVERHEAD: usize = 12;
const MAGIC_AT: usize = 16;
const CRC_AT: usize = 17;
const ATTRIBUTES_AT: usize = 21;
const LAST_OFFSET_DELTA_AT: usize = 23;
const BASE_TIMESTAMP_AT: usize = 27;
const MAX_TIMESTAMP_AT: usize = 35;
const PRODUCER_ID_AT: usize = 43;
const PRODUCER_EPOCH_AT: usize = 51;
const BASE_SEQUENCE_AT: usize = 53;
const TRANSACTIONAL_BIT: i16 = 0x10;
const CONTROL_BIT: i16 = 0x20;

/// Why a batch could not be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// Fewer bytes than the header or the announced length.
    #[error("record batch truncated: {0} bytes")]
    Truncated(usize),
    /// Only magic 2 batches are supported (Produce v3+).
    #[error("unsupported record batch magic {0}")]
    UnsupportedMagic(i8),
    /// The CRC does not match the batch contents.
    #[error("record batch CRC mismatch")]
    CorruptCrc,
}

/// The header fields of one record batch, plus the batch bytes themselves.
#[derive(Debug, Clone)]
pub struct BatchHeader {
    /// Number of offsets the batch covers (`lastOffsetDelta + 1`).
    pub offset_count: i64,
    /// Largest record timestamp in the batch.
    pub max_timestamp: i64,
    /// Timestamp of the first record.
    pub base_timestamp: i64,
    /// Producer id, or -1 for a non-idempotent producer.
    pub producer_id: i64,
    /// Producer epoch.
    pub producer_epoch: i16,
    /// Sequence number of the first record, or -1.
    pub base_sequence: i32,
    /// Whether the batch belongs to a transaction.
    pub transactional: bool,
    /// Whether the batch is a control (transaction marker) batch.
    pub control: bool,
}

impl BatchHeader {
    /// Sequence number of the last record of the batch (wrapping as Kafka does).
    pub fn last_sequence(&self) -> i32 {
        if self.base_sequence < 0 {
            return self.base_sequence;
        }
        let last = i64::from(self.base_sequence) + self.offset_count - 1;
        (last % (i64::from(i32::MAX) + 1)) as i32
    }
}

fn read_i16(data: &[u8], at: usize) -> i16 {
    i16::from_be_bytes([data[at], data[at + 1]])
}

fn read_i32(data: &[u8], at: usize) -> i32 {
    let mut raw = [0u8; 4];
    raw.copy_from_slice(&data[at..at + 4]);
    i32::from_be_bytes(raw)
}

fn read_i64(data: &[u8], at: usize) -> i64 {
    let mut raw = [0u8; 8];
    raw.copy_from_slice(&data[at..at + 8]);
    i64::from_be_bytes(raw)
}

/// Splits a produce request's record set into its batches, checking each header and
/// CRC. Returns the header and the bytes (zero-copy slices of `records`) per batch.
pub fn split_batches(records: &Bytes) -> Result<Vec<(BatchHeader, Bytes)>, BatchError> {
    let mut batches = Vec::with_capacity(1);
    let mut at = 0;
    while at < records.len() {
        let rest = &records[at..];
        if rest.len() < HEADER_LEN {
            return Err(BatchError::Truncated(rest.len()));
        }
        let length = read_i32(rest, LENGTH_AT);
        let total = usize::try_from(length)
            .ok()
            .and_then(|l| l.checked_add(LOG_OVERHEAD))
            .filter(|t| *t >= HEADER_LEN && *t <= rest.len())
            .ok_or(BatchError::Truncated(rest.len()))?;
        let magic = rest[MAGIC_AT] as i8;
        if magic != 2 {
            return Err(BatchError::UnsupportedMagic(magic));
        }
        let crc = read_i32(rest, CRC_AT) as u32;
        if crc32c::crc32c(&rest[ATTRIBUTES_AT..total]) != crc {
            return Err(BatchError::CorruptCrc);
        }
        batches.push((parse_header(rest), records.slice(at..at + total)));
        at += total;
    }
    Ok(batches)
}

/// Reads the header of a batch already known to be at least [`HEADER_LEN`] long.
pub fn parse_header(data: &[u8]) -> BatchHeader {
    let attributes = read_i16(data, ATTRIBUTES_AT);
    BatchHeader {
        offset_count: i64::from(read_i32(data, LAST_OFFSET_DELTA_AT)) + 1,
        base_timestamp: read_i64(data, BASE_TIMESTAMP_AT),
        max_timestamp: read_i64(data, MAX_TIMESTAMP_AT),
        producer_id: read_i64(data, PRODUCER_ID_AT),
        producer_epoch: read_i16(data, PRODUCER_EPOCH_AT),
        base_sequence: read_i32(data, BASE_SEQUENCE_AT),
        transactional: attributes & TRANSACTIONAL_BIT != 0,
        control: attributes & CONTROL_BIT != 0,
    }
}

/// Total length of the batch starting at `data`, if the header is complete.
pub fn batch_len(data: &[u8]) -> Option<usize> {
    if data.len() < HEADER_LEN {
        return None;
    }
    usize::try_from(read_i32(data, LENGTH_AT))
        .ok()
        .map(|l| l + LOG_OVERHEAD)
}

/// Appends `batch` to `out` with its base offset replaced by `base_offset` (the base
/// offset is outside the CRC, so the batch stays valid).
pub fn put_with_base_offset(out: &mut BytesMut, batch: &[u8], base_offset: i64) {
    out.put_i64(base_offset);
    out.put_slice(&batch[8..]);
}

/// Reads a zigzag varint at `*at`, advancing it.
fn read_varint(data: &[u8], at: &mut usize) -> Option<i64> {
    let mut value: u64 = 0;
    for shift in (0..64).step_by(7) {
        let byte = *data.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(((value >> 1) as i64) ^ -((value & 1) as i64));
        }
    }
    None
}

fn is_compressed(data: &[u8]) -> bool {
    read_i16(data, ATTRIBUTES_AT) & 0x07 != 0
}

/// Iterates the (timestamp delta, offset delta, record start, record end) of each
/// record of an uncompressed batch.
fn records(data: &[u8]) -> impl Iterator<Item = (i64, i64, usize, usize)> + '_ {
    let mut at = HEADER_LEN;
    std::iter::from_fn(move || {
        let length = usize::try_from(read_varint(data, &mut at)?).ok()?;
        let start = at;
        let end = start.checked_add(length).filter(|e| *e <= data.len())?;
        at += 1; // attributes
        let timestamp_delta = read_varint(data, &mut at)?;
        let offset_delta = read_varint(data, &mut at)?;
        let body = at;
        at = end;
        Some((timestamp_delta, offset_delta, body, end))
    })
}

/// The key of the first record of an uncompressed batch (control batches are never
/// compressed).
pub fn first_record_key(data: &[u8]) -> Option<&[u8]> {
    if data.len() < HEADER_LEN || is_compressed(data) {
        return None;
    }
    let (_, _, mut at, end) = records(data).next()?;
    let length = usize::try_from(read_varint(data, &mut at)?).ok()?;
    data.get(at..(at + length).min(end))
}

/// The offset and timestamp of the first record with a timestamp at least
/// `timestamp` in a batch based at `base_offset`; for compressed batches (whose
/// records are not decoded) the base offset and the batch's largest timestamp.
pub fn first_offset_at_or_after(data: &[u8], base_offset: i64, timestamp: i64) -> (i64, i64) {
    if data.len() < HEADER_LEN || is_compressed(data) {
        return (base_offset, read_i64(data, MAX_TIMESTAMP_AT));
    }
    let base_timestamp = read_i64(data, BASE_TIMESTAMP_AT);
    records(data)
        .find(|(delta, _, _, _)| base_timestamp + delta >= timestamp)
        .map_or(
            (base_offset, read_i64(data, MAX_TIMESTAMP_AT)),
            |(delta, offset_delta, _, _)| (base_offset + offset_delta, base_timestamp + delta),
        )
}

/// Which transaction outcome a control batch records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// The transaction was aborted.
    Abort,
    /// The transaction was committed.
    Commit,
}

fn put_varint(out: &mut BytesMut, value: i64) {
    let mut zigzag = ((value << 1) ^ (value >> 63)) as u64;
    while zigzag >= 0x80 {
        out.put_u8((zigzag as u8 & 0x7f) | 0x80);
        zigzag >>= 7;
    }
    out.put_u8(zigzag as u8);
}

/// Builds a control batch (one record) marking a transaction's end. Its base offset
/// is 0; the log rewrites it when appending.
pub fn control_batch(
    marker: Marker,
    producer_id: i64,
    producer_epoch: i16,
    coordinator_epoch: i32,
    timestamp: i64,
) -> Bytes {
    let mut key = BytesMut::with_capacity(4);
    key.put_i16(0);
    key.put_i16(match marker {
        Marker::Abort => 0,
        Marker::Commit => 1,
    });
    let mut value = BytesMut::with_capacity(6);
    value.put_i16(0);
    value.put_i32(coordinator_epoch);

    let mut body = BytesMut::with_capacity(32);
    body.put_i8(0); // record attributes
    put_varint(&mut body, 0); // timestamp delta
    put_varint(&mut body, 0); // offset delta
    put_varint(&mut body, key.len() as i64);
    body.put_slice(&key);
    put_varint(&mut body, value.len() as i64);
    body.put_slice(&value);
    put_varint(&mut body, 0); // headers
    let mut record = BytesMut::with_capacity(body.len() + 2);
    put_varint(&mut record, body.len() as i64);
    record.put_slice(&body);

    let total = HEADER_LEN + record.len();
    let mut batch = BytesMut::with_capacity(total);
    batch.put_i64(0);
    batch.put_i32((total - LOG_OVERHEAD) as i32);
    batch.put_i32(0); // partition leader epoch
    batch.put_i8(2);
    batch.put_u32(0); // CRC, filled below
    batch.put_i16(TRANSACTIONAL_BIT | CONTROL_BIT);
    batch.put_i32(0); // last offset delta
    batch.put_i64(timestamp);
    batch.put_i64(timestamp);
    batch.put_i64(producer_id);
    batch.put_i16(producer_epoch);
    batch.put_i32(-1); // base sequence
    batch.put_i32(1); // record count
    batch.put_slice(&record);
    let crc = crc32c::crc32c(&batch[ATTRIBUTES_AT..]);
    batch[CRC_AT..CRC_AT + 4].copy_from_slice(&crc.to_be_bytes());
    batch.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_batch_round_trips_through_the_header_parser() {
        let batch = control_batch(Marker::Commit, 42, 3, 0, 1_000);
        let parsed = split_batches(&batch).expect("valid batch");
        assert_eq!(parsed.len(), 1);
        let (header, bytes) = &parsed[0];
        assert_eq!(bytes.len(), batch.len());
        assert_eq!(header.producer_id, 42);
        assert_eq!(header.producer_epoch, 3);
        assert!(header.control && header.transactional);
        assert_eq!(header.offset_count, 1);
        assert_eq!(header.max_timestamp, 1_000);
        assert_eq!(first_record_key(&batch), Some(&[0u8, 0, 0, 1][..]));
        assert_eq!(first_offset_at_or_after(&batch, 10, 900), (10, 1_000));
    }

    #[test]
    fn corrupt_batches_are_rejected() {
        let batch = control_batch(Marker::Abort, 1, 0, 0, 5);
        let mut corrupt = BytesMut::from(&batch[..]);
        let last = corrupt.len() - 1;
        corrupt[last] ^= 0xff;
        assert_eq!(
            split_batches(&corrupt.freeze()).unwrap_err(),
            BatchError::CorruptCrc
        );
        assert!(matches!(
            split_batches(&batch.slice(..20)),
            Err(BatchError::Truncated(20))
        ));
    }

    #[test]
    fn last_sequence_wraps_at_i32_max() {
        let batch = control_batch(Marker::Abort, 1, 0, 0, 5);
        let mut header = parse_header(&batch);
        header.base_sequence = i32::MAX;
        header.offset_count = 2;
        assert_eq!(header.last_sequence(), 0);
    }
}
