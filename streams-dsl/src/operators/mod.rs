//! The processors behind the DSL operators. Each holds the user's closure
//! in an `Arc`, so one closure serves every task's instance.

mod aggregate;
mod aggregate_steps;
mod branch;
mod filter;
mod flat_map;
mod foreign_key_join;
mod join_grace;
mod map;
mod outer_join_store;
mod peek;
mod pending_headers;
mod print;
mod session_close;
mod session_window_aggregate;
mod sliding_window_aggregate;
mod stream_stream_join;
mod stream_table_join;
mod suppress;
mod table_group_by;
mod table_ops;
mod table_store;
mod table_table_join;
mod to_table;
mod value_getter;
mod versioned_table_source;
mod window_aggregate;
mod window_close;

pub(crate) use aggregate::{
    AggregateStep, StreamAggregate, TableAggregate, TableMaterialize, TableSource, TableStep,
};
pub(crate) use aggregate_steps::{aggregate_step, count_step, reduce_step};
pub(crate) use branch::{BranchPredicate, BranchProcessor, PassThrough};
pub(crate) use filter::Filter;
pub(crate) use flat_map::{FlatMap, FlatMapValues};
pub(crate) use foreign_key_join::{
    CombinedKey, CombinedKeySerde, ForeignKeyExtractor, ForeignUpdate, ResponseJoin, Subscription,
    SubscriptionReceive, SubscriptionResponse, SubscriptionResponseSerde, SubscriptionSend,
    SubscriptionSerde,
};
pub(crate) use join_grace::JoinGrace;
pub(crate) use map::{Map, MapValues, SelectKey};
pub(crate) use peek::{ForEach, Peek};
pub(crate) use pending_headers::PendingHeaders;
pub(crate) use print::{Print, SharedWriter};
pub(crate) use session_close::SessionCloseEmitter;
pub(crate) use session_window_aggregate::{SessionMerge, SessionWindowAggregate};
pub(crate) use sliding_window_aggregate::SlidingWindowAggregate;
pub(crate) use stream_stream_join::{
    FromLeft, FromRight, Sided, StreamJoinSpec, StreamJoiner, StreamStreamJoin,
};
pub(crate) use stream_table_join::{
    GlobalKeySelector, GlobalRow, LocalRow, StreamTableJoin, StreamTableJoiner,
};
pub(crate) use suppress::Suppress;
pub(crate) use table_group_by::{RowSelector, TableGroupBy};
pub(crate) use table_ops::{TableFilter, TableMapValues, TableToStream};
pub(crate) use table_store::TableStore;
pub(crate) use table_table_join::{RightSide, RowJoiner, TableTableJoin};
pub(crate) use to_table::TableFeed;
pub(crate) use value_getter::{TableGetter, TableRows};
pub(crate) use versioned_table_source::VersionedTableSource;
pub(crate) use window_aggregate::WindowAggregate;
pub(crate) use window_close::WindowCloseEmitter;
