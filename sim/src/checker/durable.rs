//! A zxid a client sees (a reply header, a notification) is durable on a quorum of voters:
//! otherwise a crash of that quorum could forget what the client was told.

use zoorepl_core::ids::Zxid;

use super::Violation;

/// The highest zxid durable on a majority of the voters, given each voter's newest durable zxid.
#[must_use]
pub fn quorum_durable(mut durable: Vec<Zxid>) -> Zxid {
    assert!(!durable.is_empty(), "no voters");
    durable.sort_unstable_by(|a, b| b.cmp(a));
    durable[durable.len() / 2]
}

/// Checks a zxid shown to a client by `server`.
#[must_use]
pub fn check_shown(server: usize, what: &str, zxid: i64, quorum: Zxid) -> Option<Violation> {
    let shown = Zxid::from_i64(zxid);
    (zxid > 0 && shown > quorum).then(|| {
        Violation::new(
            "shown-zxid-durable",
            format!("server {server} showed {shown} in a {what}, quorum-durable is {quorum}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quorum_durable_is_the_median_from_the_top() {
        let z = |c| Zxid::new(1, c);
        assert_eq!(quorum_durable(vec![z(5)]), z(5));
        assert_eq!(quorum_durable(vec![z(1), z(9), z(5)]), z(5));
        assert_eq!(quorum_durable(vec![z(1), z(9), z(5), z(7), z(2)]), z(5));
        assert!(check_shown(0, "reply", z(6).as_i64(), z(5)).is_some());
        assert!(check_shown(0, "reply", z(5).as_i64(), z(5)).is_none());
    }
}
