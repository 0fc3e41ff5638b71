//! A group's membership as persisted next to its offsets, like the GroupMetadata
//! records Kafka keeps in `__consumer_offsets`: generation, protocol, leader and
//! every member with its timeouts, protocols and assignment. Taking a snapshot of a
//! live group, restoring a group from one, and the snapshot's binary form.

use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use super::codec::{Reader, put_bytes, put_str};
use super::member::{Member, MemberProtocol};
use super::metadata::Group;
use super::state::GroupState;

/// The membership of a group at one point of its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredGroup {
    /// The generation of the group.
    pub generation_id: i32,
    /// The protocol type of the members (`consumer` for consumers).
    pub protocol_type: Option<String>,
    /// The protocol (assignor) selected for the generation.
    pub protocol_name: Option<String>,
    /// The member that assigned the generation.
    pub leader_id: Option<String>,
    /// Whether a rebalance was under way: the members have to rejoin after a restart.
    pub rebalancing: bool,
    /// The members, in order of arrival.
    pub members: Vec<StoredMember>,
}

/// One member of a [`StoredGroup`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMember {
    /// The member id.
    pub member_id: String,
    /// The `group.instance.id` of a static member.
    pub instance_id: Option<String>,
    /// The `client.id` the member joined with.
    pub client_id: String,
    /// The address the member joined from.
    pub client_host: String,
    /// The member's session timeout.
    pub session_timeout: Duration,
    /// The member's rebalance timeout.
    pub rebalance_timeout: Duration,
    /// The protocols the member supports with their metadata (subscriptions), in
    /// its order of preference.
    pub protocols: Vec<(String, Bytes)>,
    /// The member's assignment in the generation.
    pub assignment: Bytes,
}

impl StoredGroup {
    /// The membership of `group` as it is now.
    pub(crate) fn of(group: &Group) -> StoredGroup {
        StoredGroup {
            generation_id: group.generation_id,
            protocol_type: group.protocol_type.clone(),
            protocol_name: group.protocol_name.clone(),
            leader_id: group.leader_id.clone(),
            rebalancing: !matches!(group.state, GroupState::Stable | GroupState::Empty),
            members: group
                .members
                .values()
                .map(|member| StoredMember {
                    member_id: member.id.clone(),
                    instance_id: member.instance_id.clone(),
                    client_id: member.client_id.clone(),
                    client_host: member.client_host.clone(),
                    session_timeout: member.session_timeout,
                    rebalance_timeout: member.rebalance_timeout,
                    protocols: member
                        .protocols
                        .iter()
                        .map(|p| (p.name.clone(), p.metadata.clone()))
                        .collect(),
                    assignment: member.assignment.clone(),
                })
                .collect(),
        }
    }

    /// Puts this membership into `group` (which keeps its offsets): `Stable` with
    /// the members, or `Empty` without. Each member's session starts now, as a
    /// Kafka coordinator restarts the sessions of the groups it loads; session
    /// timers and a pending rebalance are started by the caller.
    pub(crate) fn restore_into(self, group: &mut Group) {
        group.generation_id = self.generation_id;
        group.protocol_type = self.protocol_type;
        group.protocol_name = self.protocol_name;
        group.leader_id = None;
        group.members.clear();
        group.static_members.clear();
        let now = Instant::now();
        let protocol_type = group.protocol_type.clone().unwrap_or_default();
        for stored in self.members {
            group.add_member(Member {
                id: stored.member_id,
                instance_id: stored.instance_id,
                client_id: stored.client_id,
                client_host: stored.client_host,
                rebalance_timeout: stored.rebalance_timeout,
                session_timeout: stored.session_timeout,
                protocol_type: protocol_type.clone(),
                protocols: stored
                    .protocols
                    .into_iter()
                    .map(|(name, metadata)| MemberProtocol { name, metadata })
                    .collect(),
                assignment: stored.assignment,
                awaiting_join: None,
                awaiting_sync: None,
                last_heartbeat: now,
                session_timer: None,
            });
        }
        if let Some(leader) = self.leader_id
            && group.members.contains_key(&leader)
        {
            group.leader_id = Some(leader);
        }
        group.state = if group.members.is_empty() {
            GroupState::Empty
        } else {
            GroupState::Stable
        };
    }

    /// Appends the binary form of the snapshot to `out`.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.generation_id.to_be_bytes());
        put_optional_str(out, self.protocol_type.as_deref());
        put_optional_str(out, self.protocol_name.as_deref());
        put_optional_str(out, self.leader_id.as_deref());
        out.push(u8::from(self.rebalancing));
        out.extend_from_slice(&(self.members.len() as u32).to_be_bytes());
        for member in &self.members {
            put_str(out, &member.member_id);
            put_optional_str(out, member.instance_id.as_deref());
            put_str(out, &member.client_id);
            put_str(out, &member.client_host);
            out.extend_from_slice(&millis(member.session_timeout).to_be_bytes());
            out.extend_from_slice(&millis(member.rebalance_timeout).to_be_bytes());
            out.extend_from_slice(&(member.protocols.len() as u32).to_be_bytes());
            for (name, metadata) in &member.protocols {
                put_str(out, name);
                put_bytes(out, metadata);
            }
            put_bytes(out, &member.assignment);
        }
    }

    /// Reads a snapshot written by [`StoredGroup::encode`].
    pub(crate) fn decode(reader: &mut Reader<'_>) -> Option<StoredGroup> {
        let generation_id = i32::from_be_bytes(reader.take()?);
        let protocol_type = reader.optional_string()?;
        let protocol_name = reader.optional_string()?;
        let leader_id = reader.optional_string()?;
        let [rebalancing] = reader.take()?;
        let count = u32::from_be_bytes(reader.take()?);
        let mut members = Vec::new();
        for _ in 0..count {
            let member_id = reader.string()?;
            let instance_id = reader.optional_string()?;
            let client_id = reader.string()?;
            let client_host = reader.string()?;
            let session_timeout = Duration::from_millis(u64::from_be_bytes(reader.take()?));
            let rebalance_timeout = Duration::from_millis(u64::from_be_bytes(reader.take()?));
            let protocol_count = u32::from_be_bytes(reader.take()?);
            let mut protocols = Vec::new();
            for _ in 0..protocol_count {
                let name = reader.string()?;
                protocols.push((name, reader.bytes()?));
            }
            members.push(StoredMember {
                member_id,
                instance_id,
                client_id,
                client_host,
                session_timeout,
                rebalance_timeout,
                protocols,
                assignment: reader.bytes()?,
            });
        }
        Some(StoredGroup {
            generation_id,
            protocol_type,
            protocol_name,
            leader_id,
            rebalancing: rebalancing != 0,
            members,
        })
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn put_optional_str(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        Some(value) => {
            out.push(1);
            put_str(out, value);
        }
        None => out.push(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> StoredGroup {
        StoredGroup {
            generation_id: 7,
            protocol_type: Some("consumer".into()),
            protocol_name: Some("range".into()),
            leader_id: Some("a-1".into()),
            rebalancing: false,
            members: vec![
                StoredMember {
                    member_id: "a-1".into(),
                    instance_id: None,
                    client_id: "a".into(),
                    client_host: "/127.0.0.1".into(),
                    session_timeout: Duration::from_secs(10),
                    rebalance_timeout: Duration::from_secs(30),
                    protocols: vec![
                        ("range".into(), Bytes::from_static(b"sub-a")),
                        ("roundrobin".into(), Bytes::from_static(b"sub-a2")),
                    ],
                    assignment: Bytes::from_static(b"assigned-a"),
                },
                StoredMember {
                    member_id: "b-1".into(),
                    instance_id: Some("instance-b".into()),
                    client_id: "b".into(),
                    client_host: "/127.0.0.2".into(),
                    session_timeout: Duration::from_secs(6),
                    rebalance_timeout: Duration::from_secs(60),
                    protocols: vec![("range".into(), Bytes::from_static(b"sub-b"))],
                    assignment: Bytes::new(),
                },
            ],
        }
    }

    #[test]
    fn a_snapshot_decodes_to_what_was_encoded() {
        let group = sample();
        let mut bytes = Vec::new();
        group.encode(&mut bytes);
        let mut reader = Reader { bytes: &bytes };
        assert_eq!(StoredGroup::decode(&mut reader), Some(group));
        assert!(reader.bytes.is_empty());
        let mut short = Reader {
            bytes: &bytes[..bytes.len() - 1],
        };
        assert_eq!(StoredGroup::decode(&mut short), None);
    }

    #[tokio::test]
    async fn restoring_makes_the_members_of_the_generation_again() {
        let mut group = Group::new("g".into());
        sample().restore_into(&mut group);
        assert_eq!(group.state, GroupState::Stable);
        assert_eq!(group.generation_id, 7);
        assert!(group.is_leader("a-1"));
        assert_eq!(group.static_member_id(Some("instance-b")), Some("b-1"));
        assert_eq!(StoredGroup::of(&group), sample());

        let mut emptied = sample();
        emptied.members.clear();
        emptied.leader_id = None;
        emptied.restore_into(&mut group);
        assert_eq!(group.state, GroupState::Empty);
        assert_eq!(
            group.generation_id, 7,
            "an empty group keeps its generation"
        );
        assert!(group.members.is_empty() && group.static_members.is_empty());
    }
}
