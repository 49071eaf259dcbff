//! Autopurge (`autopurge.purgeInterval`, `autopurge.snapRetainCount`): as Java's
//! `DatadirCleanupManager`, a timer that keeps the newest snapshots and the log segments they
//! need and removes the rest, first at startup and then every `purgeInterval` hours. With an
//! interval of 0 nothing is purged and files pile up (Java's default too).

use std::time::Duration;

use zoorepl_io::storage::SnapshotWriter;

/// Starts the purge timer when `interval_hours > 0`; logs what it did either way.
pub(super) fn start(writer: SnapshotWriter, retain: usize, interval_hours: u32) {
    tracing::info!("autopurge.snapRetainCount set to {retain}");
    tracing::info!("autopurge.purgeInterval set to {interval_hours}");
    if interval_hours == 0 {
        tracing::info!("Purge task is not scheduled.");
        return;
    }
    let every = Duration::from_secs(u64::from(interval_hours) * 3600);
    tokio::spawn(run(writer, retain, every));
}

async fn run(writer: SnapshotWriter, retain: usize, every: Duration) {
    // The first tick is at once: Java purges when the server starts.
    let mut timer = tokio::time::interval(every);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        timer.tick().await;
        let w = writer.clone();
        match tokio::task::spawn_blocking(move || w.purge(retain)).await {
            Ok(Ok(report)) => tracing::info!(
                "autopurge: removed {} snapshots and {} log segments",
                report.snapshots.len(),
                report.segments.len()
            ),
            // Java logs a failed purge and tries again at the next interval.
            Ok(Err(e)) => tracing::error!("autopurge failed: {e}"),
            Err(e) => tracing::error!("autopurge task failed: {e}"),
        }
    }
}
