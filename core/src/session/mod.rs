//! Sessions: the table, tick-bucket expiry and password derivation (`SessionTrackerImpl.java`).
