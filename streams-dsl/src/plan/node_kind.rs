//! `PlanKind`: the operation kinds of the logical plan, which the optimizer
//! reasons about (a repartition is a node of its own, not a sink and a
//! source recognisable by their names).

/// What a logical plan node does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlanKind {
    /// Reads topics as a stream.
    Source,
    /// Keeps a table's latest row per key in its store (a table source,
    /// `to_table`, a derived table materialized).
    TableSource,
    /// Keeps keys and partitioning (filter, map_values, peek, merge, ...).
    Stateless,
    /// May change keys, so stateful operations downstream repartition
    /// (select_key, map, flat_map, custom processors, a table's group_by).
    KeyChanging,
    /// Aggregates in a store (aggregate, reduce, count, windowed, cogroup).
    Stateful,
    /// Joins streams or tables.
    Join,
    /// Holds table updates back (suppress).
    Suppress,
    /// Writes records through an internal topic and reads them back.
    Repartition,
    /// Writes records to a topic.
    Sink,
}
