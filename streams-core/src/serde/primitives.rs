//! Serdes for strings, raw bytes, the unit type and numbers in Kafka's layouts
//! (big-endian, as Kafka's IntegerSerializer, LongSerializer and DoubleSerializer).

use super::{Serde, SerdeError};

/// UTF-8 strings.
#[derive(Debug, Clone, Copy, Default)]
pub struct StringSerde;

impl Serde<String> for StringSerde {
    fn name(&self) -> &str {
        "StringSerde"
    }
    fn serialize(&self, value: &String) -> Result<Vec<u8>, SerdeError> {
        Ok(value.as_bytes().to_vec())
    }
    fn deserialize(&self, bytes: &[u8]) -> Result<String, SerdeError> {
        String::from_utf8(bytes.to_vec())
            .map_err(|e| SerdeError::with_source("bytes are not valid UTF-8", e))
    }
}

/// Raw bytes as `Vec<u8>`, passed through unchanged.
#[derive(Debug, Clone, Copy, Default)]
pub struct VecSerde;

impl Serde<Vec<u8>> for VecSerde {
    fn name(&self) -> &str {
        "VecSerde"
    }
    fn serialize(&self, value: &Vec<u8>) -> Result<Vec<u8>, SerdeError> {
        Ok(value.clone())
    }
    fn deserialize(&self, bytes: &[u8]) -> Result<Vec<u8>, SerdeError> {
        Ok(bytes.to_vec())
    }
}

/// Raw bytes as `bytes::Bytes`, passed through unchanged.
#[derive(Debug, Clone, Copy, Default)]
pub struct BytesSerde;

impl Serde<bytes::Bytes> for BytesSerde {
    fn name(&self) -> &str {
        "BytesSerde"
    }
    fn serialize(&self, value: &bytes::Bytes) -> Result<Vec<u8>, SerdeError> {
        Ok(value.to_vec())
    }
    fn deserialize(&self, bytes: &[u8]) -> Result<bytes::Bytes, SerdeError> {
        Ok(bytes::Bytes::copy_from_slice(bytes))
    }
}

/// The unit type: for keys (or values) an application ignores. Serializes to null
/// and accepts any bytes or null, like Kafka Streams' `Void` serde for null keys.
#[derive(Debug, Clone, Copy, Default)]
pub struct UnitSerde;

impl Serde<()> for UnitSerde {
    fn name(&self) -> &str {
        "UnitSerde"
    }
    fn serialize(&self, _value: &()) -> Result<Vec<u8>, SerdeError> {
        Ok(Vec::new())
    }
    fn deserialize(&self, _bytes: &[u8]) -> Result<(), SerdeError> {
        Ok(())
    }
    fn serialize_nullable(&self, _value: &()) -> Result<Option<Vec<u8>>, SerdeError> {
        Ok(None)
    }
    fn deserialize_nullable(&self, _bytes: Option<&[u8]>) -> Result<(), SerdeError> {
        Ok(())
    }
    fn is_null(&self, _value: &()) -> bool {
        true
    }
}

macro_rules! fixed_width_serde {
    ($serde:ident, $ty:ty, $width:expr, $doc:expr) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $serde;

        impl Serde<$ty> for $serde {
            fn name(&self) -> &str {
                stringify!($serde)
            }
            fn serialize(&self, value: &$ty) -> Result<Vec<u8>, SerdeError> {
                Ok(value.to_be_bytes().to_vec())
            }
            fn deserialize(&self, bytes: &[u8]) -> Result<$ty, SerdeError> {
                let array: [u8; $width] = bytes.try_into().map_err(|_| {
                    SerdeError::new(format!(
                        "expected {} bytes for {}, got {}",
                        $width,
                        stringify!($ty),
                        bytes.len()
                    ))
                })?;
                Ok(<$ty>::from_be_bytes(array))
            }
        }
    };
}

fixed_width_serde!(
    I32Serde,
    i32,
    4,
    "32-bit signed integers, 4 bytes big-endian (Kafka's IntegerSerde)."
);
fixed_width_serde!(
    I64Serde,
    i64,
    8,
    "64-bit signed integers, 8 bytes big-endian (Kafka's LongSerde)."
);
fixed_width_serde!(
    U64Serde,
    u64,
    8,
    "64-bit unsigned integers, 8 bytes big-endian."
);
fixed_width_serde!(
    F64Serde,
    f64,
    8,
    "64-bit floats, IEEE 754 bits 8 bytes big-endian (Kafka's DoubleSerde)."
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_use_kafka_big_endian_layouts() {
        assert_eq!(I32Serde.serialize(&1).unwrap(), [0, 0, 0, 1]);
        assert_eq!(I64Serde.serialize(&-2).unwrap(), (-2_i64).to_be_bytes());
        assert_eq!(
            F64Serde.serialize(&1.5).unwrap(),
            [0x3f, 0xf8, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(
            U64Serde.deserialize(&[0, 0, 0, 0, 0, 0, 1, 0]).unwrap(),
            256
        );
        assert_eq!(
            I64Serde.deserialize(&i64::MIN.to_be_bytes()).unwrap(),
            i64::MIN
        );
    }

    #[test]
    fn wrong_width_is_a_clear_error() {
        let err = I64Serde.deserialize(&[1, 2, 3]).unwrap_err();
        assert_eq!(err.to_string(), "expected 8 bytes for i64, got 3");
    }

    #[test]
    fn strings_reject_invalid_utf8_and_null() {
        assert!(StringSerde.deserialize(&[0xff, 0xfe]).is_err());
        let err = StringSerde.deserialize_nullable(None).unwrap_err();
        assert!(
            err.to_string().contains("Option<alloc::string::String>"),
            "{err}"
        );
        assert_eq!(StringSerde.deserialize(b"abc").unwrap(), "abc");
    }

    #[test]
    fn unit_maps_to_null_and_accepts_anything() {
        assert_eq!(UnitSerde.serialize_nullable(&()).unwrap(), None);
        assert!(UnitSerde.is_null(&()));
        UnitSerde.deserialize_nullable(Some(b"ignored")).unwrap();
        UnitSerde.deserialize_nullable(None).unwrap();
    }

    #[test]
    fn raw_bytes_pass_through() {
        assert_eq!(VecSerde.deserialize(&[1, 2]).unwrap(), vec![1, 2]);
        assert_eq!(
            BytesSerde
                .serialize(&bytes::Bytes::from_static(b"xy"))
                .unwrap(),
            b"xy"
        );
    }
}
