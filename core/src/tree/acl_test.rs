//! ACL check and fixup cases (zookeeper-protocol.md §9).

use super::*;
use crate::proto::perms;

fn acl(perms: i32, scheme: &str, id: &str) -> Acl {
    Acl {
        perms,
        id: Id::new(scheme, id),
    }
}

#[test]
fn digest_id_known_vector_section_9() {
    // Cross-checked with python: base64(sha1(b"super:test")).
    assert_eq!(
        digest_id("super:test"),
        "super:D/InIHSb7yEEbrWz8b9l71RjZJU="
    );
    assert_eq!(digest_id("bob:secret"), "bob:fyVmFCwVbTJYrznoSu1koqYEYF0=");
    // The password may contain ':'; only the first one splits off the user.
    assert!(digest_id("a:b:c").starts_with("a:"));
    assert_ne!(digest_id("a:b:c"), digest_id("a:b"));
}

#[test]
fn check_empty_acl_allows_everything() {
    assert!(check(&[], perms::ADMIN, &[]));
}

#[test]
fn check_world_anyone_needs_a_shared_bit() {
    let read_only = [Acl::read_unsafe()];
    assert!(check(&read_only, perms::READ, &[]));
    assert!(!check(&read_only, perms::WRITE, &[]));
    // getACL asks for READ | ADMIN: either bit is enough.
    assert!(check(&read_only, perms::READ | perms::ADMIN, &[]));
    assert!(check(&[Acl::open_unsafe()], perms::DELETE, &[]));
}

#[test]
fn check_super_passes_everything() {
    let locked = [acl(perms::READ, "digest", "bob:hash")];
    assert!(!check(
        &locked,
        perms::WRITE,
        &[Id::new("digest", "bob:hash")]
    ));
    assert!(check(&locked, perms::WRITE, &[Id::new("super", "")]));
}

#[test]
fn check_digest_is_exact() {
    let id = digest_id("bob:secret");
    let entry = [acl(perms::ALL, "digest", &id)];
    assert!(check(&entry, perms::READ, &[Id::new("digest", &id)]));
    assert!(!check(
        &entry,
        perms::READ,
        &[Id::new("digest", "bob:other")]
    ));
    assert!(!check(&entry, perms::READ, &[Id::new("ip", &id)]));
    assert!(!check(&entry, perms::READ, &[]));
}

#[test]
fn check_ip_prefix_v4_and_v6() {
    let net = [acl(perms::READ, "ip", "10.1.0.0/16")];
    assert!(check(&net, perms::READ, &[Id::new("ip", "10.1.200.3")]));
    assert!(!check(&net, perms::READ, &[Id::new("ip", "10.2.0.1")]));
    let odd = [acl(perms::READ, "ip", "192.168.1.128/25")];
    assert!(check(&odd, perms::READ, &[Id::new("ip", "192.168.1.200")]));
    assert!(!check(&odd, perms::READ, &[Id::new("ip", "192.168.1.127")]));
    let exact = [acl(perms::READ, "ip", "127.0.0.1")];
    assert!(check(&exact, perms::READ, &[Id::new("ip", "127.0.0.1")]));
    assert!(!check(&exact, perms::READ, &[Id::new("ip", "127.0.0.2")]));
    let all = [acl(perms::READ, "ip", "0.0.0.0/0")];
    assert!(check(&all, perms::READ, &[Id::new("ip", "8.8.8.8")]));
    assert!(
        !check(&all, perms::READ, &[Id::new("ip", "::1")]),
        "v4 never matches v6"
    );
    let v6 = [acl(perms::READ, "ip", "fe80::/10")];
    assert!(check(&v6, perms::READ, &[Id::new("ip", "fe80::1%eth0")]));
    assert!(!check(&v6, perms::READ, &[Id::new("ip", "fec0::1")]));
    assert!(!check(&v6, perms::READ, &[Id::new("ip", "10.0.0.1")]));
    let bad = [acl(perms::READ, "ip", "10.0.0.0/33")];
    assert!(!check(&bad, perms::READ, &[Id::new("ip", "10.0.0.0")]));
}

#[test]
fn fixup_rejects_empty_and_bad_ids() {
    let bad = [
        vec![],
        vec![acl(perms::ALL, "world", "someone")],
        vec![acl(perms::ALL, "nosuch", "x")],
        vec![acl(perms::ALL, "digest", "nocolon")],
        vec![acl(perms::ALL, "digest", "a:b:c")],
        vec![acl(perms::ALL, "digest", "user:")],
        vec![acl(perms::ALL, "ip", "300.0.0.1")],
        vec![acl(perms::ALL, "ip", "1.2.3")],
        vec![acl(perms::ALL, "ip", "1.2.3.4/40")],
        vec![acl(perms::ALL, "ip", "1.2.3.4/x")],
        vec![acl(perms::ALL, "sasl", "bob")],
        vec![Acl::open_unsafe(), acl(perms::ALL, "digest", "bad")],
    ];
    for list in bad {
        assert_eq!(fixup(&list, &[]), Err(ZkError::InvalidAcl), "{list:?}");
    }
}

#[test]
fn fixup_accepts_good_ids_and_removes_duplicates_in_order() {
    let list = vec![
        acl(perms::READ, "ip", "10.0.0.0/8"),
        Acl::open_unsafe(),
        acl(perms::READ, "ip", "10.0.0.0/8"),
        acl(perms::ALL, "digest", "bob:hash"),
        acl(perms::ALL, "digest", ":hash"),
        acl(perms::ALL, "ip", "::1"),
        Acl::open_unsafe(),
    ];
    let fixed = fixup(&list, &[]).expect("valid");
    assert_eq!(
        fixed,
        vec![
            acl(perms::READ, "ip", "10.0.0.0/8"),
            Acl::open_unsafe(),
            acl(perms::ALL, "digest", "bob:hash"),
            acl(perms::ALL, "digest", ":hash"),
            acl(perms::ALL, "ip", "::1"),
        ]
    );
}

#[test]
fn fixup_expands_auth_into_authenticated_ids() {
    let held = [
        Id::new("ip", "127.0.0.1"),
        Id::new("digest", "bob:h1"),
        Id::new("super", ""),
        Id::new("digest", "amy:h2"),
    ];
    let fixed = fixup(&[acl(perms::READ | perms::WRITE, "auth", "")], &held).expect("valid");
    assert_eq!(
        fixed,
        vec![
            acl(perms::READ | perms::WRITE, "digest", "bob:h1"),
            acl(perms::READ | perms::WRITE, "digest", "amy:h2"),
        ]
    );
    // Only an ip id (or nothing) is not enough.
    let ip_only = [Id::new("ip", "127.0.0.1")];
    assert_eq!(
        fixup(&[acl(perms::ALL, "auth", "")], &ip_only),
        Err(ZkError::InvalidAcl)
    );
    assert_eq!(
        fixup(&[acl(perms::ALL, "auth", "x")], &[]),
        Err(ZkError::InvalidAcl)
    );
}

#[test]
fn mask_digest_hides_hashes_only() {
    let list = [
        acl(perms::ALL, "digest", "bob:fyVmFCwVbTJYrznoSu1koqYEYF0="),
        Acl::open_unsafe(),
        acl(perms::READ, "ip", "10.0.0.1"),
    ];
    let masked = mask_digest(&list);
    assert_eq!(masked[0], acl(perms::ALL, "digest", "bob:x"));
    assert_eq!(masked[1..], list[1..]);
}
