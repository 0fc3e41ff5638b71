//! The field encoding of the coordinator's log records: big-endian integers,
//! length-prefixed strings and byte strings, and a reader that fails (None) on a
//! record cut short.

use bytes::Bytes;

/// Appends a length-prefixed UTF-8 string.
pub(crate) fn put_str(out: &mut Vec<u8>, value: &str) {
    put_bytes(out, value.as_bytes());
}

/// Appends a length-prefixed byte string.
pub(crate) fn put_bytes(out: &mut Vec<u8>, value: &[u8]) {
    out.extend_from_slice(&(value.len() as u32).to_be_bytes());
    out.extend_from_slice(value);
}

/// Reads fields from a record payload.
pub(crate) struct Reader<'a> {
    /// What is left to read.
    pub(crate) bytes: &'a [u8],
}

impl Reader<'_> {
    /// The next `N` bytes.
    pub(crate) fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.bytes.split_first_chunk::<N>()?;
        self.bytes = rest;
        Some(*head)
    }

    /// A byte string written by [`put_bytes`].
    pub(crate) fn bytes(&mut self) -> Option<Bytes> {
        self.slice().map(Bytes::copy_from_slice)
    }

    /// A string written by [`put_str`].
    pub(crate) fn string(&mut self) -> Option<String> {
        self.slice()
            .and_then(|bytes| String::from_utf8(bytes.to_vec()).ok())
    }

    /// A presence byte, then the string if present.
    pub(crate) fn optional_string(&mut self) -> Option<Option<String>> {
        match self.take::<1>()? {
            [0] => Some(None),
            [1] => self.string().map(Some),
            _ => None,
        }
    }

    fn slice(&mut self) -> Option<&[u8]> {
        let len = u32::from_be_bytes(self.take()?) as usize;
        if self.bytes.len() < len {
            return None;
        }
        let (head, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Some(head)
    }
}
