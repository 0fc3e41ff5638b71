//! The coordinator's timers, as tokio tasks that sleep until a deadline: member
//! sessions, the deadline of unconfirmed member ids, the join barrier and the
//! deadline for members to sync. Each
//! task holds only a weak reference to the coordinator and is aborted when what
//! it guards goes away.

use std::sync::{Arc, Weak};

use tokio::task::AbortHandle;
use tokio::time::Instant;

use super::coordinator::Shared;
use super::rebalance;

/// Sleeps until `deadline`, then asks `check` what to do: sleep until the next
/// deadline it returns, or stop.
fn start(
    shared: &Arc<Shared>,
    deadline: Instant,
    check: impl Fn(&Arc<Shared>) -> Option<Instant> + Send + 'static,
) -> AbortHandle {
    let weak: Weak<Shared> = Arc::downgrade(shared);
    tokio::spawn(async move {
        let mut deadline = deadline;
        loop {
            tokio::time::sleep_until(deadline).await;
            let Some(shared) = weak.upgrade() else {
                return;
            };
            match check(&shared) {
                Some(next) => deadline = next,
                None => return,
            }
        }
    })
    .abort_handle()
}

/// Expires the member's session at `deadline` unless it heartbeats meanwhile.
pub(crate) fn start_session_timer(
    shared: &Arc<Shared>,
    group_id: &str,
    member_id: &str,
    deadline: Instant,
) -> AbortHandle {
    let (group_id, member_id) = (group_id.to_string(), member_id.to_string());
    start(shared, deadline, move |shared| {
        rebalance::on_session_timer(shared, &group_id, &member_id)
    })
}

/// Forgets an unconfirmed member id at `deadline` unless the member joins with it.
pub(crate) fn start_pending_member_timer(
    shared: &Arc<Shared>,
    group_id: &str,
    member_id: &str,
    deadline: Instant,
) -> AbortHandle {
    let (group_id, member_id) = (group_id.to_string(), member_id.to_string());
    start(shared, deadline, move |shared| {
        rebalance::on_pending_member_timer(shared, &group_id, &member_id);
        None
    })
}

/// Ends the join barrier of the group when its deadline or initial delay passes.
pub(crate) fn start_join_timer(
    shared: &Arc<Shared>,
    group_id: &str,
    deadline: Instant,
) -> AbortHandle {
    let group_id = group_id.to_string();
    start(shared, deadline, move |shared| {
        rebalance::on_join_timer(shared, &group_id)
    })
}

/// Evicts the members of `generation_id` that have not synced by `deadline`.
pub(crate) fn start_sync_timer(
    shared: &Arc<Shared>,
    group_id: &str,
    generation_id: i32,
    deadline: Instant,
) -> AbortHandle {
    let group_id = group_id.to_string();
    start(shared, deadline, move |shared| {
        rebalance::on_sync_timer(shared, &group_id, generation_id);
        None
    })
}
