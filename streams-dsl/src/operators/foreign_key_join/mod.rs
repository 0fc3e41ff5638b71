//! Foreign-key table-table joins (KIP-213): the left table's rows subscribe,
//! through an internal topic keyed by foreign key, to the right table's row of
//! their foreign key; the right side keeps the subscriptions in a store keyed
//! by (foreign key, primary key) and answers, through an internal topic keyed
//! by primary key, each subscription and every subscriber of an updated right
//! row; the left side joins each answer with its current row unless the answer
//! is stale (the hash it carries is not the current value's).

mod combined_key;
mod foreign_update;
mod hash;
mod response;
mod response_join;
mod subscription;
mod subscription_receive;
mod subscription_send;
mod wire_error;

pub(crate) use combined_key::{CombinedKey, CombinedKeySerde};
pub(crate) use foreign_update::ForeignUpdate;
pub(crate) use response::{SubscriptionResponse, SubscriptionResponseSerde};
pub(crate) use response_join::ResponseJoin;
pub(crate) use subscription::{Subscription, SubscriptionSerde};
pub(crate) use subscription_receive::SubscriptionReceive;
pub(crate) use subscription_send::{ForeignKeyExtractor, SubscriptionSend};
