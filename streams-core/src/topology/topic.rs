//! Topic names in a topology: user topics, and internal topics whose full name is
//! only known once the application id is.

use std::fmt;

/// A topic a node reads or writes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TopicRef {
    /// A user topic, by its full name.
    External(String),
    /// An internal topic, by its suffix: the full name is
    /// `<application.id>-<suffix>` (for example `app-KSTREAM-REPARTITION-0000000003-repartition`).
    Internal(String),
}

impl TopicRef {
    /// The full topic name for an application.
    pub fn resolve(&self, application_id: &str) -> String {
        match self {
            TopicRef::External(name) => name.clone(),
            TopicRef::Internal(suffix) => format!("{application_id}-{suffix}"),
        }
    }

    /// True for framework-managed topics.
    pub fn is_internal(&self) -> bool {
        matches!(self, TopicRef::Internal(_))
    }
}

impl fmt::Display for TopicRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TopicRef::External(name) | TopicRef::Internal(name) => f.write_str(name),
        }
    }
}

/// Checks a name against Kafka's legal topic characters (`[a-zA-Z0-9._-]`,
/// at most 249 characters), so internal topic names derived from it are valid.
pub(crate) fn check_topic_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("it is empty".into());
    }
    if name.len() > 249 {
        return Err(format!(
            "it is {} characters long; the limit is 249",
            name.len()
        ));
    }
    match name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        Some(c) => Err(format!(
            "'{c}' is not allowed; use only a-z, A-Z, 0-9, '.', '_' and '-'"
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_topics_get_the_application_prefix() {
        let topic = TopicRef::Internal("x-repartition".into());
        assert_eq!(topic.resolve("app"), "app-x-repartition");
        assert_eq!(TopicRef::External("in".into()).resolve("app"), "in");
    }

    #[test]
    fn topic_names_are_checked() {
        assert!(check_topic_name("orders.v1_a-b").is_ok());
        assert!(check_topic_name("").is_err());
        assert!(check_topic_name("a b").unwrap_err().contains("' '"));
        assert!(check_topic_name(&"x".repeat(250)).is_err());
    }
}
