//! Every ephemeral znode is owned by a session the node knows to be alive: a session's
//! ephemerals die in the same txn that ends it. Run when the node's tree changed.

use zoorepl_core::node::Node;

use super::Violation;

/// Checks one node.
pub fn check(node: &Node) -> Option<Violation> {
    let sessions = node.sessions();
    node.tree()
        .all_ephemerals()
        .find(|(owner, _)| sessions.get(*owner).is_none())
        .map(|(owner, path)| {
            Violation::new(
                "ephemeral-owner-alive",
                format!(
                    "server {:?}: {path} is owned by dead session {owner} at {}",
                    node.observe().id,
                    node.last_applied()
                ),
            )
        })
}
