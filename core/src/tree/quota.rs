//! Quota accounting (zookeeper-protocol.md §14.3; `DataTree.updateCountBytes` in Java).
//!
//! A path P has a quota when `/zookeeper/quota<P>/zookeeper_limits` exists. The server keeps
//! `/zookeeper/quota<P>/zookeeper_stats` at `count=<nodes in P's subtree, P included>,bytes=<their
//! data bytes>`: recounted when the stats node is created, then adjusted by every create,
//! delete and setData under P. Like Java, this rewrites the stats node's data outside any txn
//! (its version and mzxid do not move); it is a function of the txns applied, so every replica
//! agrees. Limits are only advisory here: Java enforces them only with
//! `zookeeper.enforceQuota=true`, which zoorepl does not offer yet.

use bytes::Bytes;

use super::{path, DataTree};

const QUOTA_ROOT: &str = "/zookeeper/quota";
const LIMITS: &str = "zookeeper_limits";
const STATS: &str = "zookeeper_stats";

fn quota_node(p: &str, leaf: &str) -> String {
    if p == path::ROOT {
        format!("{QUOTA_ROOT}/{leaf}")
    } else {
        format!("{QUOTA_ROOT}{p}/{leaf}")
    }
}

/// `count=<n>,bytes=<m>`, as Java's `StatsTrack` writes a stats node without hard limits.
fn render(count: i64, bytes: i64) -> Bytes {
    Bytes::from(format!("count={count},bytes={bytes}"))
}

/// Reads `count` and `bytes` from a stats node's text; missing or bad numbers count as 0.
fn parse(data: Option<&Bytes>) -> (i64, i64) {
    let text = data
        .map(|d| String::from_utf8_lossy(d).into_owned())
        .unwrap_or_default();
    let mut out = (0, 0);
    for part in text.split([',', ';']) {
        let mut kv = part.splitn(2, '=');
        let (key, value) = (kv.next().unwrap_or_default(), kv.next().unwrap_or_default());
        let value = value.trim_end_matches('=').parse().unwrap_or(0);
        match key {
            "count" => out.0 = value,
            "bytes" => out.1 = value,
            _ => {}
        }
    }
    out
}

impl DataTree {
    /// The quota'd path whose subtree holds `p`: the longest of `p` and its ancestors that has a
    /// limits node. Nodes under `/zookeeper` are never counted.
    fn quota_root(&self, p: &str) -> Option<String> {
        if p == "/zookeeper" || p.starts_with("/zookeeper/") {
            return None;
        }
        // Most trees have no quota at all: skip the walk up the ancestors (a lookup each).
        if self.node(QUOTA_ROOT).is_none_or(|q| q.child_count() == 0) {
            return None;
        }
        let mut at = p;
        loop {
            if at != path::ROOT && self.contains(&quota_node(at, LIMITS)) {
                return Some(at.to_owned());
            }
            if at == path::ROOT {
                return None;
            }
            at = path::parent(at);
        }
    }

    /// Adjusts the stats of the quota that covers `p`, if any.
    pub(super) fn quota_adjust(&mut self, p: &str, count: i64, bytes: i64) {
        let Some(root) = self.quota_root(p) else {
            return;
        };
        let stats = quota_node(&root, STATS);
        let Some(node) = self.node(&stats) else {
            return;
        };
        let (c, b) = parse(node.data());
        self.update_node(&stats, |n| n.set_data(Some(render(c + count, b + bytes))));
    }

    /// A node was just created: count it, or, if it is a stats node, recount its subtree.
    pub(super) fn quota_on_create(&mut self, p: &str, data_len: usize) {
        if let Some(quotaed) = p
            .strip_prefix(QUOTA_ROOT)
            .and_then(|r| r.strip_suffix(STATS))
            .and_then(|r| r.strip_suffix('/'))
        {
            let quotaed = if quotaed.is_empty() {
                path::ROOT
            } else {
                quotaed
            };
            self.quota_recount(quotaed, p);
            return;
        }
        self.quota_adjust(p, 1, i64::try_from(data_len).expect("data fits"));
    }

    fn quota_recount(&mut self, quotaed: &str, stats: &str) {
        let (mut count, mut bytes) = (0i64, 0i64);
        let mut stack = vec![quotaed.to_owned()];
        while let Some(at) = stack.pop() {
            let Some(node) = self.node(&at) else { continue };
            count += 1;
            bytes += i64::try_from(node.data_len()).expect("data fits");
            stack.extend(node.children().map(|c| path::join(&at, c)));
        }
        if self.contains(quotaed) {
            self.update_node(stats, |n| n.set_data(Some(render(count, bytes))));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{parse, render};

    #[test]
    fn stats_text_round_trips_and_tolerates_java_limit_syntax() {
        assert_eq!(parse(Some(&render(2, 17))), (2, 17));
        let limits =
            bytes::Bytes::from_static(b"count=5,bytes=-1=;byteHardLimit=-1;countHardLimit=-1");
        assert_eq!(parse(Some(&limits)), (5, -1));
        assert_eq!(parse(None), (0, 0));
    }
}
