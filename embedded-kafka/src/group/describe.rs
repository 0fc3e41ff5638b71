//! DescribeGroups and ListGroups: the groups this coordinator knows, their state,
//! protocol and members.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kafka_protocol::messages::list_groups_response::ListedGroup;
use kafka_protocol::messages::{
    DescribeGroupsRequest, DescribeGroupsResponse, GroupId, ListGroupsRequest, ListGroupsResponse,
};
use kafka_protocol::protocol::StrBytes;

use super::coordinator::GroupCoordinator;
use super::state::GroupState;

/// The group type ListGroups v5 reports for groups of the classic protocol.
const CLASSIC_GROUP_TYPE: &str = "classic";

impl GroupCoordinator {
    /// The state and generation of a group this coordinator knows.
    pub fn generation(&self, group_id: &str) -> Option<(GroupState, i32)> {
        let groups = self.shared.lock();
        groups
            .get(group_id)
            .map(|group| (group.state, group.generation_id))
    }

    /// Handles DescribeGroups of `version`. Members carry their metadata and
    /// assignment only while the group is stable, as in Kafka. An unknown group
    /// is reported as `Dead` (from v6 with GROUP_ID_NOT_FOUND).
    pub fn describe_groups(
        &self,
        request: &DescribeGroupsRequest,
        version: i16,
    ) -> DescribeGroupsResponse {
        let groups = self.shared.lock();
        let described = request
            .groups
            .iter()
            .map(|group_id| {
                let described =
                    DescribedGroup::default().with_group_id(GroupId(group_id.0.clone()));
                let Some(group) = groups.get(group_id.0.as_str()) else {
                    let described = described
                        .with_group_state(StrBytes::from_static_str(GroupState::Dead.name()));
                    return if version >= 6 {
                        described
                            .with_error_code(ResponseError::GroupIdNotFound.code())
                            .with_error_message(Some(StrBytes::from_string(format!(
                                "Group {} not found.",
                                group_id.0.as_str()
                            ))))
                    } else {
                        described
                    };
                };
                let stable = group.state == GroupState::Stable;
                let protocol = if stable {
                    group.protocol_name.clone().unwrap_or_default()
                } else {
                    String::new()
                };
                let members = group
                    .members
                    .values()
                    .map(|member| {
                        let described = DescribedGroupMember::default()
                            .with_member_id(StrBytes::from_string(member.id.clone()))
                            .with_group_instance_id(if version >= 4 {
                                member.instance_id.clone().map(StrBytes::from_string)
                            } else {
                                None
                            })
                            .with_client_id(StrBytes::from_string(member.client_id.clone()))
                            .with_client_host(StrBytes::from_string(member.client_host.clone()));
                        if stable {
                            described
                                .with_member_metadata(
                                    member.metadata_for(&protocol).cloned().unwrap_or_default(),
                                )
                                .with_member_assignment(member.assignment.clone())
                        } else {
                            described
                        }
                    })
                    .collect();
                described
                    .with_group_state(StrBytes::from_static_str(group.state.name()))
                    .with_protocol_type(StrBytes::from_string(
                        group.protocol_type.clone().unwrap_or_default(),
                    ))
                    .with_protocol_data(StrBytes::from_string(protocol))
                    .with_members(members)
            })
            .collect();
        DescribeGroupsResponse::default().with_groups(described)
    }

    /// Handles ListGroups of `version`, with the state filter of v4 and the type
    /// filter of v5 (every group here is a classic group).
    pub fn list_groups(&self, request: &ListGroupsRequest, version: i16) -> ListGroupsResponse {
        let states: Vec<GroupState> = if version >= 4 {
            request
                .states_filter
                .iter()
                .filter_map(|name| GroupState::from_name(name.as_str()))
                .collect()
        } else {
            Vec::new()
        };
        let state_filter_matches_nothing =
            states.is_empty() && version >= 4 && !request.states_filter.is_empty();
        let any_listed = !state_filter_matches_nothing
            && (version < 5
                || request.types_filter.is_empty()
                || request
                    .types_filter
                    .iter()
                    .any(|t| t.as_str().eq_ignore_ascii_case(CLASSIC_GROUP_TYPE)));
        let groups = self.shared.lock();
        let mut listed: Vec<ListedGroup> = groups
            .values()
            .filter(|group| group.state != GroupState::Dead)
            .filter(|_| any_listed)
            .filter(|group| states.is_empty() || states.contains(&group.state))
            .map(|group| {
                let listed = ListedGroup::default()
                    .with_group_id(GroupId(StrBytes::from_string(group.id.clone())))
                    .with_protocol_type(StrBytes::from_string(
                        group.protocol_type.clone().unwrap_or_default(),
                    ));
                let listed = if version >= 4 {
                    listed.with_group_state(StrBytes::from_static_str(group.state.name()))
                } else {
                    listed
                };
                if version >= 5 {
                    listed.with_group_type(StrBytes::from_static_str(CLASSIC_GROUP_TYPE))
                } else {
                    listed
                }
            })
            .collect();
        listed.sort_by(|a, b| a.group_id.0.as_str().cmp(b.group_id.0.as_str()));
        ListGroupsResponse::default().with_groups(listed)
    }
}
