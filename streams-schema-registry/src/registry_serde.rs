//! The `Serde` implementation every registry serde shares: `serialize_with_context`
//! names the subject from the context, plain `serialize` only works with the
//! record-name strategy (it has no topic), and reading needs no context (the
//! schema id is in the bytes). Each serde provides `schema_ids`, `encode` and
//! `decode`; this macro writes the rest.

/// Implements `Serde<$value>` for `$serde` from its inherent `schema_ids()`,
/// `encode(context, value)` and `decode(bytes)`.
macro_rules! registry_serde {
    ($name:literal, [$($generics:tt)*], $serde:ty, $value:ty) => {
        impl<$($generics)*> streams_core::serde::Serde<$value> for $serde {
            fn name(&self) -> &str {
                $name
            }

            fn serialize(&self, value: &$value) -> Result<Vec<u8>, streams_core::serde::SerdeError> {
                self.encode(&self.schema_ids().context_free($name)?, value)
            }

            fn deserialize(&self, bytes: &[u8]) -> Result<$value, streams_core::serde::SerdeError> {
                self.decode(bytes)
            }

            fn serialize_with_context(
                &self,
                context: &streams_core::serde::SerdeContext<'_>,
                value: &$value,
            ) -> Result<Option<Vec<u8>>, streams_core::serde::SerdeError> {
                self.encode(context, value).map(Some)
            }
        }
    };
}

pub(crate) use registry_serde;
