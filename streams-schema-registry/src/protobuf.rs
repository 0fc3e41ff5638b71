//! Protobuf serdes for prost messages in the Confluent wire format: the schema
//! id, then the message indexes of the message type in its file, then the
//! message. The registered schema is the message's file as a base64-encoded
//! `FileDescriptorProto` (the form Confluent's registry and clients accept
//! besides `.proto` text), taken from a `prost-reflect` descriptor; the file's
//! imports are registered under their import paths and referenced, as
//! Confluent's serializers do.

use crate::registry_serde::registry_serde;
use crate::schema_ids::{SchemaIds, serde_error};
use crate::{
    RegistryError, RegistrySerdeConfig, Schema, SchemaIdMode, SchemaReference,
    SchemaRegistryClient, SchemaType, wire,
};
use base64::Engine;
use prost_reflect::{FileDescriptor, MessageDescriptor};
use std::marker::PhantomData;
use std::sync::Arc;
use streams_core::serde::{SerdeContext, SerdeError};

/// A prost message type `M` with its descriptor.
///
/// ```
/// use std::sync::Arc;
/// use prost_reflect::DescriptorPool;
/// use prost_reflect::prost_types::{DescriptorProto, FieldDescriptorProto, FileDescriptorProto};
/// use prost_reflect::prost_types::field_descriptor_proto::{Label, Type};
/// use streams_core::record::Headers;
/// use streams_core::serde::{Serde, SerdeContext};
/// use streams_schema_registry::{MockSchemaRegistryClient, ProtobufSchemaSerde, RegistrySerdeConfig};
///
/// #[derive(Clone, PartialEq, prost::Message)]
/// struct Ping { #[prost(string, tag = "1")] id: String }
///
/// // The descriptor prost-build would emit for `message Ping { string id = 1; }`.
/// let file = FileDescriptorProto {
///     name: Some("ping.proto".into()),
///     package: Some("demo".into()),
///     syntax: Some("proto3".into()),
///     message_type: vec![DescriptorProto {
///         name: Some("Ping".into()),
///         field: vec![FieldDescriptorProto {
///             name: Some("id".into()), number: Some(1),
///             r#type: Some(Type::String as i32), label: Some(Label::Optional as i32),
///             json_name: Some("id".into()), ..Default::default()
///         }],
///         ..Default::default()
///     }],
///     ..Default::default()
/// };
/// let mut pool = DescriptorPool::new();
/// pool.add_file_descriptor_proto(file).unwrap();
/// let descriptor = pool.get_message_by_name("demo.Ping").unwrap();
///
/// let registry = Arc::new(MockSchemaRegistryClient::new());
/// let serde = ProtobufSchemaSerde::<Ping>::new(registry, descriptor, RegistrySerdeConfig::default()).unwrap();
/// let headers = Headers::new();
/// let context = SerdeContext::value("pings", &headers);
/// let bytes = serde.serialize_with_context(&context, &Ping { id: "p".into() }).unwrap().unwrap();
/// assert_eq!(&bytes[..6], &[0, 0, 0, 0, 1, 0]); // schema id 1, message index [0]
/// assert_eq!(serde.deserialize(&bytes).unwrap(), Ping { id: "p".into() });
/// ```
pub struct ProtobufSchemaSerde<M> {
    ids: SchemaIds,
    message_indexes: Vec<i32>,
    _message: PhantomData<fn() -> M>,
}

/// The file as the registry stores it: a base64 `FileDescriptorProto` without
/// source information.
fn file_schema_text(file: &FileDescriptor) -> String {
    use prost::Message;
    let mut proto = file.file_descriptor_proto().clone();
    proto.source_code_info = None;
    base64::engine::general_purpose::STANDARD.encode(proto.encode_to_vec())
}

/// The references of `file`: each import registered (or, unless the serde
/// auto-registers, found) under its import path, depth first.
fn references(
    client: &dyn SchemaRegistryClient,
    file: &FileDescriptor,
    mode: SchemaIdMode,
) -> Result<Vec<SchemaReference>, RegistryError> {
    file.dependencies()
        .map(|dependency| {
            let subject = dependency.name().to_string();
            let schema = Schema {
                schema: file_schema_text(&dependency),
                schema_type: SchemaType::Protobuf,
                references: references(client, &dependency, mode)?,
            };
            let version = match mode {
                SchemaIdMode::AutoRegister => {
                    client.register(&subject, &schema)?;
                    client.lookup(&subject, &schema)?.version
                }
                SchemaIdMode::LookUp => client.lookup(&subject, &schema)?.version,
                SchemaIdMode::UseLatest => client.latest(&subject)?.version,
            };
            Ok(SchemaReference {
                name: subject.clone(),
                subject,
                version,
            })
        })
        .collect()
}

/// The indexes of a message in its file: every second element of its
/// descriptor path (`[4, i, 3, j, ...]`: message `i`, its nested message `j`).
fn message_indexes(descriptor: &MessageDescriptor) -> Vec<i32> {
    descriptor
        .path()
        .iter()
        .skip(1)
        .step_by(2)
        .copied()
        .collect()
}

impl<M> ProtobufSchemaSerde<M> {
    /// A serde of `M`, whose descriptor is `descriptor`. A file with imports has
    /// them registered (or looked up) here, before the first record.
    pub fn new(
        client: Arc<dyn SchemaRegistryClient>,
        descriptor: MessageDescriptor,
        config: RegistrySerdeConfig,
    ) -> Result<Self, RegistryError> {
        let file = descriptor.parent_file();
        let schema = Schema {
            schema: file_schema_text(&file),
            schema_type: SchemaType::Protobuf,
            references: references(client.as_ref(), &file, config.mode())?,
        };
        Ok(Self {
            message_indexes: message_indexes(&descriptor),
            ids: SchemaIds::new(
                client,
                config,
                schema,
                Some(descriptor.full_name().to_string()),
            ),
            _message: PhantomData,
        })
    }

    /// The message indexes written before each message.
    pub fn message_indexes(&self) -> &[i32] {
        &self.message_indexes
    }
}

impl<M: prost::Message + Default> ProtobufSchemaSerde<M> {
    fn schema_ids(&self) -> &SchemaIds {
        &self.ids
    }

    /// Reads the message after the header and the message indexes; the
    /// writer's schema is not fetched (a prost type decodes the fields it knows
    /// and keeps the rest as unknown fields, protobuf's own evolution rule).
    fn decode(&self, bytes: &[u8]) -> Result<M, SerdeError> {
        let (_, rest) = wire::split(bytes).map_err(serde_error)?;
        let (_, payload) = wire::read_message_indexes(rest).map_err(serde_error)?;
        M::decode(payload).map_err(|e| SerdeError::with_source("protobuf decoding failed", e))
    }

    fn encode(&self, context: &SerdeContext<'_>, message: &M) -> Result<Vec<u8>, SerdeError> {
        let id = self.ids.id_for(context).map_err(serde_error)?;
        let mut bytes = wire::header(id, message.encoded_len() + 2);
        wire::write_message_indexes(&self.message_indexes, &mut bytes);
        message
            .encode(&mut bytes)
            .map_err(|e| SerdeError::with_source("protobuf encoding failed", e))?;
        Ok(bytes)
    }
}

registry_serde!(
    "ProtobufSchemaSerde",
    [M: prost::Message + Default],
    ProtobufSchemaSerde<M>,
    M
);
