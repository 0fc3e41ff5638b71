//! Chooses a serde by type: the built-ins plus any an application registers.

use super::{
    BytesSerde, F64Serde, I32Serde, I64Serde, OptionSerde, Serde, SerdeRef, StringSerde, U64Serde,
    UnitSerde, VecSerde,
};
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;

/// Default serdes by type. Built in: `String`, `Vec<u8>`, `bytes::Bytes`, `i32`,
/// `i64`, `u64`, `f64`, `()`. Registering a serde for `T` also registers
/// `Option<T>` (null-aware) for it.
///
/// ```
/// use streams_core::serde::{JsonSerde, SerdeRegistry};
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Order { id: u64 }
///
/// let mut registry = SerdeRegistry::with_builtins();
/// registry.register(JsonSerde::<Order>::new());
/// assert!(registry.get::<Order>().is_some());
/// assert!(registry.get::<Option<Order>>().is_some());
/// assert!(registry.get::<Option<String>>().is_some());
/// ```
#[derive(Clone, Default)]
pub struct SerdeRegistry {
    by_type: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
    derived: HashMap<TypeId, Arc<DeriveSerde>>,
}

/// Builds the serde of a wrapper type from the registry (for example
/// `Change<V>` from the serde of `V`); yields a boxed `SerdeRef<T>`.
type DeriveSerde = dyn Fn(&SerdeRegistry) -> Option<Box<dyn Any>> + Send + Sync;

impl SerdeRegistry {
    /// A registry with no serdes.
    pub fn empty() -> Self {
        Self::default()
    }

    /// A registry with the built-in serdes.
    pub fn with_builtins() -> Self {
        let mut registry = Self::empty();
        registry.register(StringSerde);
        registry.register(VecSerde);
        registry.register(BytesSerde);
        registry.register(I32Serde);
        registry.register(I64Serde);
        registry.register(U64Serde);
        registry.register(F64Serde);
        registry.register(UnitSerde);
        registry
    }

    /// Makes `serde` the default for `T` (and `Option<T>`), replacing any earlier one.
    pub fn register<T: 'static>(&mut self, serde: impl Serde<T> + 'static) -> &mut Self {
        self.register_shared(Arc::new(serde))
    }

    /// Like [`register`](Self::register) for a serde that is already shared.
    pub fn register_shared<T: 'static>(&mut self, serde: SerdeRef<T>) -> &mut Self {
        let nullable: SerdeRef<Option<T>> = Arc::new(OptionSerde::new(serde.clone()));
        self.by_type.insert(TypeId::of::<T>(), Arc::new(serde));
        self.by_type
            .insert(TypeId::of::<Option<T>>(), Arc::new(nullable));
        self
    }

    /// Makes the serde of `T` derive from the serde of `U` whenever `T` has none
    /// of its own (for example `Windowed<K>` from `K`), looked up when needed, so
    /// serdes registered later still count.
    pub fn derive<T: 'static, U: 'static>(
        &mut self,
        wrap: fn(SerdeRef<U>) -> SerdeRef<T>,
    ) -> &mut Self {
        self.derived.insert(
            TypeId::of::<T>(),
            Arc::new(move |registry: &SerdeRegistry| {
                registry
                    .get::<U>()
                    .map(|inner| Box::new(wrap(inner)) as Box<dyn Any>)
            }),
        );
        self
    }

    /// Like [`derive`](Self::derive) for a type built from two others (for
    /// example a composite key from the serdes of both of its parts).
    pub fn derive_pair<T: 'static, U1: 'static, U2: 'static>(
        &mut self,
        wrap: fn(SerdeRef<U1>, SerdeRef<U2>) -> SerdeRef<T>,
    ) -> &mut Self {
        self.derived.insert(
            TypeId::of::<T>(),
            Arc::new(move |registry: &SerdeRegistry| {
                let (first, second) = (registry.get::<U1>()?, registry.get::<U2>()?);
                Some(Box::new(wrap(first, second)) as Box<dyn Any>)
            }),
        );
        self
    }

    /// The default serde for `T`, if one is registered or derivable.
    pub fn get<T: 'static>(&self) -> Option<SerdeRef<T>> {
        let direct = self
            .by_type
            .get(&TypeId::of::<T>())
            .and_then(|any| any.downcast_ref::<SerdeRef<T>>())
            .cloned();
        direct.or_else(|| {
            let derive = self.derived.get(&TypeId::of::<T>())?;
            derive(self)?
                .downcast::<SerdeRef<T>>()
                .ok()
                .map(|boxed| *boxed)
        })
    }
}

impl std::fmt::Debug for SerdeRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerdeRegistry")
            .field("types", &self.by_type.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serde::SerdeError;

    /// A pair written as its two parts, each with its own serde.
    struct PairSerde(SerdeRef<String>, SerdeRef<i64>);

    impl Serde<(String, i64)> for PairSerde {
        fn serialize(&self, value: &(String, i64)) -> Result<Vec<u8>, SerdeError> {
            let mut bytes = self.1.serialize(&value.1)?;
            bytes.extend(self.0.serialize(&value.0)?);
            Ok(bytes)
        }

        fn deserialize(&self, bytes: &[u8]) -> Result<(String, i64), SerdeError> {
            let (number, text) = bytes.split_at(bytes.len().min(8));
            Ok((self.0.deserialize(text)?, self.1.deserialize(number)?))
        }
    }

    #[test]
    fn a_pair_serde_derives_from_both_parts_once_both_are_known() {
        let mut registry = SerdeRegistry::empty();
        registry.derive_pair::<(String, i64), String, i64>(|a, b| Arc::new(PairSerde(a, b)));
        registry.register(StringSerde);
        assert!(registry.get::<(String, i64)>().is_none());
        registry.register(I64Serde);
        let serde = registry.get::<(String, i64)>().unwrap();
        let pair = ("k".to_string(), 7_i64);
        assert_eq!(
            serde.deserialize(&serde.serialize(&pair).unwrap()).unwrap(),
            pair
        );
    }
}
