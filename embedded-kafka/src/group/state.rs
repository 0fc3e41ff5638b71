//! The life cycle of a classic consumer group: the five states of Kafka's group
//! coordinator and the transitions allowed between them.

use std::fmt;

/// The state of a classic group, as Kafka names it in DescribeGroups and ListGroups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupState {
    /// No members; the group may still hold committed offsets.
    Empty,
    /// A rebalance started: the coordinator waits for the members to (re)join.
    PreparingRebalance,
    /// Every member joined; the coordinator waits for the leader's assignment.
    CompletingRebalance,
    /// Assignments were delivered; members heartbeat.
    Stable,
    /// The group was removed from this coordinator.
    Dead,
}

impl GroupState {
    /// Every state, in declaration order.
    pub const ALL: [GroupState; 5] = [
        GroupState::Empty,
        GroupState::PreparingRebalance,
        GroupState::CompletingRebalance,
        GroupState::Stable,
        GroupState::Dead,
    ];

    /// The name Kafka reports for this state.
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
        }
    }

    /// The state with this name, ignoring case (as ListGroups' state filter does).
    pub fn from_name(name: &str) -> Option<GroupState> {
        GroupState::ALL
            .into_iter()
            .find(|state| state.name().eq_ignore_ascii_case(name))
    }

    /// Whether a group in this state may move to `next`.
    pub fn can_transition_to(self, next: GroupState) -> bool {
        use GroupState::*;
        match next {
            Empty => self == PreparingRebalance,
            PreparingRebalance => matches!(self, Empty | Stable | CompletingRebalance),
            CompletingRebalance => self == PreparingRebalance,
            Stable => self == CompletingRebalance,
            Dead => true,
        }
    }
}

impl fmt::Display for GroupState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_case_insensitively() {
        for state in GroupState::ALL {
            assert_eq!(GroupState::from_name(state.name()), Some(state));
            assert_eq!(
                GroupState::from_name(&state.name().to_lowercase()),
                Some(state)
            );
        }
        assert_eq!(GroupState::from_name("Rebalancing"), None);
    }

    #[test]
    fn only_kafka_transitions_are_allowed() {
        use GroupState::*;
        let allowed = [
            (PreparingRebalance, Empty),
            (Empty, PreparingRebalance),
            (Stable, PreparingRebalance),
            (CompletingRebalance, PreparingRebalance),
            (PreparingRebalance, CompletingRebalance),
            (CompletingRebalance, Stable),
        ];
        for from in GroupState::ALL {
            for to in GroupState::ALL {
                let expected = to == Dead || allowed.contains(&(from, to));
                assert_eq!(from.can_transition_to(to), expected, "{from} -> {to}");
            }
        }
    }
}
