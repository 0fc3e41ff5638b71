//! The serde of table updates sent through repartition topics.

use super::{Serde, SerdeContext, SerdeError, SerdeRef, serialize_present};
use crate::record::Change;

/// Serializes a `Change<V>` as a flags byte (bit 0: new value present, bit 1: old
/// value present) followed by each present value as a 4-byte big-endian length
/// and its bytes, new first.
///
/// ```
/// use std::sync::Arc;
/// use streams_core::record::Change;
/// use streams_core::serde::{ChangeSerde, I64Serde, Serde};
/// let serde = ChangeSerde::new(Arc::new(I64Serde));
/// let change = Change::new(Some(5_i64), None);
/// assert_eq!(serde.deserialize(&serde.serialize(&change).unwrap()).unwrap(), change);
/// ```
pub struct ChangeSerde<V> {
    inner: SerdeRef<V>,
    name: String,
}

impl<V> ChangeSerde<V> {
    /// Wraps the serde of the values.
    pub fn new(inner: SerdeRef<V>) -> Self {
        let name = format!("ChangeSerde<{}>", inner.name());
        Self { inner, name }
    }
}

fn read_part<'a>(bytes: &mut &'a [u8]) -> Result<&'a [u8], SerdeError> {
    if bytes.len() < 4 {
        return Err(SerdeError::new("truncated change: missing a value length"));
    }
    let (length, rest) = bytes.split_at(4);
    let length = u32::from_be_bytes([length[0], length[1], length[2], length[3]]) as usize;
    if rest.len() < length {
        return Err(SerdeError::new(format!(
            "truncated change: a value of {length} bytes has only {} left",
            rest.len()
        )));
    }
    let (part, rest) = rest.split_at(length);
    *bytes = rest;
    Ok(part)
}

/// The byte form of a change, each present value serialized by `serialize`.
fn encode<V>(
    change: &Change<V>,
    serialize: impl Fn(&V) -> Result<Vec<u8>, SerdeError>,
) -> Result<Vec<u8>, SerdeError> {
    let flags = u8::from(change.new.is_some()) | (u8::from(change.old.is_some()) << 1);
    let mut bytes = vec![flags];
    for value in change.new.iter().chain(change.old.iter()) {
        let serialized = serialize(value)?;
        let length = u32::try_from(serialized.len())
            .map_err(|_| SerdeError::new("a value longer than 4 GiB cannot be sent"))?;
        bytes.extend_from_slice(&length.to_be_bytes());
        bytes.extend_from_slice(&serialized);
    }
    Ok(bytes)
}

/// A change read back, each present value deserialized by `deserialize`.
fn decode<V>(
    bytes: &[u8],
    deserialize: impl Fn(&[u8]) -> Result<V, SerdeError>,
) -> Result<Change<V>, SerdeError> {
    let Some((&flags, mut rest)) = bytes.split_first() else {
        return Err(SerdeError::new("an empty change"));
    };
    if flags > 3 {
        return Err(SerdeError::new(format!("unknown change flags {flags}")));
    }
    let new = if flags & 1 == 1 {
        Some(deserialize(read_part(&mut rest)?)?)
    } else {
        None
    };
    let old = if flags & 2 == 2 {
        Some(deserialize(read_part(&mut rest)?)?)
    } else {
        None
    };
    if !rest.is_empty() {
        return Err(SerdeError::new(format!(
            "{} trailing bytes after a change",
            rest.len()
        )));
    }
    Ok(Change::new(new, old))
}

impl<V> Serde<Change<V>> for ChangeSerde<V> {
    fn name(&self) -> &str {
        &self.name
    }

    fn serialize(&self, change: &Change<V>) -> Result<Vec<u8>, SerdeError> {
        encode(change, |value| self.inner.serialize(value))
    }

    fn deserialize(&self, bytes: &[u8]) -> Result<Change<V>, SerdeError> {
        decode(bytes, |part| self.inner.deserialize(part))
    }

    /// The value serde sees the same context for the new and the old value, as
    /// Kafka Streams' `ChangedSerializer` passes the topic and headers through.
    fn serialize_with_context(
        &self,
        context: &SerdeContext<'_>,
        change: &Change<V>,
    ) -> Result<Option<Vec<u8>>, SerdeError> {
        encode(change, |value| {
            serialize_present(self.inner.as_ref(), context, value)
        })
        .map(Some)
    }

    fn deserialize_with_context(
        &self,
        context: &SerdeContext<'_>,
        bytes: Option<&[u8]>,
    ) -> Result<Change<V>, SerdeError> {
        let bytes = bytes.ok_or_else(|| SerdeError::new("a change cannot be null"))?;
        decode(bytes, |part| {
            self.inner.deserialize_with_context(context, Some(part))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serde::StringSerde;
    use std::sync::Arc;

    #[test]
    fn round_trips_every_shape_and_rejects_garbage() {
        let serde = ChangeSerde::new(Arc::new(StringSerde));
        for change in [
            Change::new(Some("n".to_string()), Some("o".to_string())),
            Change::new(None, Some("o".to_string())),
            Change::new(Some(String::new()), None),
            Change::new(None, None),
        ] {
            assert_eq!(
                serde
                    .deserialize(&serde.serialize(&change).unwrap())
                    .unwrap(),
                change
            );
        }
        assert!(serde.deserialize(&[]).is_err());
        assert!(serde.deserialize(&[1, 0, 0, 0, 9, b'x']).is_err());
        assert!(serde.deserialize(&[7]).is_err());
    }
}
