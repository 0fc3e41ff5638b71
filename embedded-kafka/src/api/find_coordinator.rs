//! FindCoordinator: this broker coordinates every group and transactional id.

use crate::api::str_bytes;
use crate::broker::Broker;
use kafka_protocol::messages::find_coordinator_response::Coordinator;
use kafka_protocol::messages::{
    BrokerId, FindCoordinatorRequest, FindCoordinatorResponse, RequestHeader,
};

impl Broker {
    /// FindCoordinator (v4 batches keys).
    pub async fn find_coordinator(
        &self,
        header: &RequestHeader,
        request: FindCoordinatorRequest,
    ) -> FindCoordinatorResponse {
        let node = BrokerId(self.config.node_id);
        if header.request_api_version >= 4 {
            let coordinators = request
                .coordinator_keys
                .into_iter()
                .map(|key| {
                    Coordinator::default()
                        .with_key(key)
                        .with_node_id(node)
                        .with_host(str_bytes(&self.host))
                        .with_port(self.port)
                })
                .collect();
            FindCoordinatorResponse::default().with_coordinators(coordinators)
        } else {
            FindCoordinatorResponse::default()
                .with_node_id(node)
                .with_host(str_bytes(&self.host))
                .with_port(self.port)
        }
    }
}
