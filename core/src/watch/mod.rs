//! Watches: one-shot, persistent and persistent-recursive, per connection (`WatchManager.java`).
