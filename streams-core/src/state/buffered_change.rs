//! How a suppression buffer lays out one buffered table update in bytes (the
//! value of its buffer entries and, after the buffer time, of its changelog
//! records):
//!
//! ```text
//! version: 1 byte (1)
//! timestamp of the latest update: 8 bytes, big-endian
//! prior value: nullable bytes   (the row's value before the first buffered update)
//! new value:   nullable bytes   (the latest update; null for a delete)
//! headers:     4-byte count, then per header a 4-byte key length, the UTF-8 key
//!              and nullable value bytes
//! ```
//!
//! Nullable bytes are a 4-byte big-endian length (`u32::MAX` for null) and the bytes.

use crate::record::Headers;

const VERSION: u8 = 1;
const NULL_LENGTH: u32 = u32::MAX;

/// One buffered update, its values still serialized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BufferedChange {
    /// Timestamp of the latest update.
    pub(crate) timestamp: i64,
    /// The value before the first buffered update (what downstream last saw).
    pub(crate) prior: Option<Vec<u8>>,
    /// The latest value; `None` for a delete.
    pub(crate) new: Option<Vec<u8>>,
    /// Headers of the latest update.
    pub(crate) headers: Headers,
}

fn put_length(out: &mut Vec<u8>, length: usize) {
    let length = u32::try_from(length).unwrap_or(NULL_LENGTH - 1);
    out.extend_from_slice(&length.to_be_bytes());
}

fn put_nullable(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        Some(bytes) => {
            put_length(out, bytes.len());
            out.extend_from_slice(bytes);
        }
        None => out.extend_from_slice(&NULL_LENGTH.to_be_bytes()),
    }
}

/// Reads the layout front to back, failing with what was missing.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        if self.bytes.len() < n {
            return Err(format!(
                "a buffered update ends inside its {what} ({} of {n} bytes left)",
                self.bytes.len()
            ));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], String> {
        let mut array = [0; N];
        array.copy_from_slice(self.take(N, what)?);
        Ok(array)
    }

    fn length(&mut self, what: &str) -> Result<u32, String> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    fn nullable(&mut self, what: &str) -> Result<Option<Vec<u8>>, String> {
        match self.length(what)? {
            NULL_LENGTH => Ok(None),
            length => Ok(Some(self.take(length as usize, what)?.to_vec())),
        }
    }
}

impl BufferedChange {
    /// The bytes of this update.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let values =
            self.prior.as_ref().map_or(0, Vec::len) + self.new.as_ref().map_or(0, Vec::len);
        let mut out = Vec::with_capacity(1 + 8 + 8 + values + 4);
        out.push(VERSION);
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        put_nullable(&mut out, self.prior.as_deref());
        put_nullable(&mut out, self.new.as_deref());
        put_length(&mut out, self.headers.len());
        for header in self.headers.iter() {
            put_length(&mut out, header.key.len());
            out.extend_from_slice(header.key.as_bytes());
            put_nullable(&mut out, header.value.as_deref());
        }
        out
    }

    /// Reads an update back; the error says which part is malformed.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, String> {
        let mut reader = Reader { bytes };
        let [version] = reader.array::<1>("version")?;
        if version != VERSION {
            return Err(format!(
                "a buffered update has layout version {version}, this build reads {VERSION}"
            ));
        }
        let timestamp = i64::from_be_bytes(reader.array("timestamp")?);
        let prior = reader.nullable("prior value")?;
        let new = reader.nullable("new value")?;
        let count = reader.length("header count")?;
        let mut headers = Headers::new();
        for _ in 0..count {
            let length = reader.length("header key")?;
            let key = reader.take(length as usize, "header key")?;
            let key = String::from_utf8(key.to_vec())
                .map_err(|e| format!("a buffered header key is not UTF-8: {e}"))?;
            let value = reader.nullable("header value")?;
            headers.add(key, value);
        }
        if !reader.bytes.is_empty() {
            return Err(format!(
                "a buffered update has {} bytes after its headers",
                reader.bytes.len()
            ));
        }
        Ok(Self {
            timestamp,
            prior,
            new,
            headers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_round_trip_with_nulls_and_headers() {
        let mut headers = Headers::new().with("trace", b"abc");
        headers.add("empty", None);
        for change in [
            BufferedChange {
                timestamp: 42,
                prior: None,
                new: Some(b"new".to_vec()),
                headers: headers.clone(),
            },
            BufferedChange {
                timestamp: -1,
                prior: Some(Vec::new()),
                new: None,
                headers: Headers::new(),
            },
        ] {
            assert_eq!(BufferedChange::decode(&change.encode()), Ok(change));
        }
    }

    #[test]
    fn malformed_bytes_are_reported_not_misread() {
        let bytes = BufferedChange {
            timestamp: 7,
            prior: Some(b"old".to_vec()),
            new: Some(b"new".to_vec()),
            headers: Headers::new().with("h", b"v"),
        }
        .encode();
        for cut in 0..bytes.len() {
            assert!(
                BufferedChange::decode(&bytes[..cut]).is_err(),
                "{cut} bytes decoded"
            );
        }
        let mut wrong_version = bytes.clone();
        wrong_version[0] = 9;
        assert!(
            BufferedChange::decode(&wrong_version)
                .unwrap_err()
                .contains("version 9")
        );
        let mut trailing = bytes;
        trailing.push(0);
        assert!(BufferedChange::decode(&trailing).is_err());
    }
}
