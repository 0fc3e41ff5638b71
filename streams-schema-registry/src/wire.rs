//! The Confluent wire format: a zero magic byte, the schema id as 4 bytes
//! big-endian, then (Protobuf only) the message indexes, then the payload.
//!
//! Message indexes locate the message type in its `.proto` file: the path of
//! indexes from the file's top-level messages down through nested ones, written
//! as a zig-zag varint count followed by each index as a zig-zag varint; the
//! common path `[0]` (the file's first message) is written as a single 0.

use crate::RegistryError;

const MAGIC_BYTE: u8 = 0;
const HEADER_LEN: usize = 5;

/// Starts a payload with the magic byte and the schema id.
pub(crate) fn header(schema_id: u32, payload_len: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(HEADER_LEN + payload_len);
    bytes.push(MAGIC_BYTE);
    bytes.extend_from_slice(&schema_id.to_be_bytes());
    bytes
}

/// The schema id and the rest of the bytes.
pub(crate) fn split(bytes: &[u8]) -> Result<(u32, &[u8]), RegistryError> {
    if bytes.len() < HEADER_LEN {
        return Err(RegistryError::WireFormat(format!(
            "{} bytes are fewer than the 5-byte header (magic byte and schema id)",
            bytes.len()
        )));
    }
    if bytes[0] != MAGIC_BYTE {
        return Err(RegistryError::WireFormat(format!(
            "unknown magic byte {} (expected 0)",
            bytes[0]
        )));
    }
    let id = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
    Ok((id, &bytes[HEADER_LEN..]))
}

/// Appends Protobuf message indexes.
pub(crate) fn write_message_indexes(indexes: &[i32], bytes: &mut Vec<u8>) {
    if indexes == [0] {
        bytes.push(0);
        return;
    }
    // A path is never longer than protobuf's nesting limit, far below i32::MAX.
    write_zigzag(i32::try_from(indexes.len()).unwrap_or(i32::MAX), bytes);
    for &index in indexes {
        write_zigzag(index, bytes);
    }
}

/// Reads Protobuf message indexes, returning them and the rest of the bytes.
pub(crate) fn read_message_indexes(mut bytes: &[u8]) -> Result<(Vec<i32>, &[u8]), RegistryError> {
    let count = read_zigzag(&mut bytes)?;
    if count == 0 {
        return Ok((vec![0], bytes));
    }
    let count = usize::try_from(count).map_err(|_| {
        RegistryError::WireFormat(format!("a negative message index count {count}"))
    })?;
    if count > bytes.len() {
        return Err(RegistryError::WireFormat(format!(
            "{count} message indexes announced but only {} bytes follow",
            bytes.len()
        )));
    }
    let mut indexes = Vec::with_capacity(count);
    for _ in 0..count {
        indexes.push(read_zigzag(&mut bytes)?);
    }
    Ok((indexes, bytes))
}

fn write_zigzag(value: i32, bytes: &mut Vec<u8>) {
    let mut encoded = ((value << 1) ^ (value >> 31)) as u32;
    while encoded >= 0x80 {
        bytes.push((encoded as u8 & 0x7f) | 0x80);
        encoded >>= 7;
    }
    bytes.push(encoded as u8);
}

fn read_zigzag(bytes: &mut &[u8]) -> Result<i32, RegistryError> {
    let mut encoded: u32 = 0;
    for shift in (0..35).step_by(7) {
        let Some((&byte, rest)) = bytes.split_first() else {
            return Err(RegistryError::WireFormat(
                "message indexes end in the middle of a varint".into(),
            ));
        };
        *bytes = rest;
        encoded |= u32::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(((encoded >> 1) as i32) ^ -((encoded & 1) as i32));
        }
    }
    Err(RegistryError::WireFormat(
        "a message index varint longer than 5 bytes".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips_and_rejects_other_formats() {
        let mut bytes = header(258, 1);
        bytes.push(7);
        assert_eq!(bytes, [0, 0, 0, 1, 2, 7]);
        assert_eq!(split(&bytes).unwrap(), (258, &[7][..]));
        assert!(split(&[0, 0, 1]).is_err());
        assert!(split(&[1, 0, 0, 0, 1]).is_err());
    }

    #[test]
    fn message_indexes_use_confluents_zigzag_encoding() {
        let mut first = Vec::new();
        write_message_indexes(&[0], &mut first);
        assert_eq!(first, [0]);
        // Confluent's example: [1, 0] is written as count 2, then 1, then 0, each zig-zag.
        let mut nested = Vec::new();
        write_message_indexes(&[1, 0], &mut nested);
        assert_eq!(nested, [4, 2, 0]);
        let mut deep = Vec::new();
        write_message_indexes(&[3, 200], &mut deep);
        deep.push(42);
        let (indexes, rest) = read_message_indexes(&deep).unwrap();
        assert_eq!(indexes, [3, 200]);
        assert_eq!(rest, [42]);
        assert_eq!(read_message_indexes(&[0, 9]).unwrap(), (vec![0], &[9][..]));
        assert!(read_message_indexes(&[6, 2]).is_err());
        assert!(read_message_indexes(&[0x80]).is_err());
    }
}
