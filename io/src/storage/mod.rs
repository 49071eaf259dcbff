//! Write-ahead log and snapshots. Being written.
