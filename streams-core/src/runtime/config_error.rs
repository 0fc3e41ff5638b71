//! Why a [`StreamsConfig`](super::StreamsConfig) cannot be built: which setting, and
//! what to change.

/// A setting that is missing, malformed or not supported. Every message names the
/// setting and says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required setting was not given.
    #[error("the setting '{setting}' is required: {hint}")]
    Missing {
        /// The setting.
        setting: &'static str,
        /// What to set it to.
        hint: &'static str,
    },

    /// A setting has a value that cannot be used.
    #[error("invalid value '{value}' for '{setting}': {reason}")]
    Invalid {
        /// The setting, as it was given (with any client prefix).
        setting: String,
        /// The value given.
        value: String,
        /// Why, and what to use instead.
        reason: String,
    },

    /// A setting is understood but not supported yet.
    #[error("'{setting}={value}' is not yet supported: {reason}")]
    Unsupported {
        /// The setting.
        setting: &'static str,
        /// The value given.
        value: String,
        /// What to use for now.
        reason: &'static str,
    },

    /// librdkafka rejected a client property.
    #[error("the {client} client rejects its configuration: {reason}")]
    Client {
        /// Which client: consumer, restore consumer, producer or admin.
        client: &'static str,
        /// librdkafka's message, which names the property.
        reason: String,
    },
}
