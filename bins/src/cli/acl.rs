//! ACLs in zkCli's text form: `scheme:id:perms[,scheme:id:perms...]`, e.g. `world:anyone:cdrwa`,
//! `digest:user:hash:rwa` (the id may contain colons), `auth::cdrwa`.

use zookeeper_client::{Acl, AuthId, Permission};

/// Permission letters in the order zkCli prints them.
const PERM_LETTERS: [(char, Permission); 5] = [
    ('c', Permission::CREATE),
    ('d', Permission::DELETE),
    ('r', Permission::READ),
    ('w', Permission::WRITE),
    ('a', Permission::ADMIN),
];

/// Result of parsing an ACL string: the entries that parsed, and one warning line per part or
/// letter that did not (zkCli prints those and goes on with the rest).
#[derive(Debug, Default)]
pub struct ParsedAcl {
    /// The ACL entries, in input order.
    pub acls: Vec<Acl>,
    /// Warnings, in zkCli's wording.
    pub warnings: Vec<String>,
}

/// Parses `scheme:id:perms` entries separated by commas. The scheme ends at the first colon and
/// the permissions start after the last one, so digest ids (`user:hash`) keep their colon.
pub fn parse_acl(text: &str) -> ParsedAcl {
    let mut parsed = ParsedAcl::default();
    for part in text.split(',') {
        let (Some(first), Some(last)) = (part.find(':'), part.rfind(':')) else {
            parsed
                .warnings
                .push(format!("{part} does not have the form scheme:id:perm"));
            continue;
        };
        if first == last {
            parsed
                .warnings
                .push(format!("{part} does not have the form scheme:id:perm"));
            continue;
        }
        let scheme = &part[..first];
        let id = &part[first + 1..last];
        let permission = parse_perms(&part[last + 1..], &mut parsed.warnings);
        parsed
            .acls
            .push(Acl::new(permission, AuthId::new(scheme, id)));
    }
    parsed
}

/// Parses permission letters (`cdrwa` in any order); unknown letters are reported and skipped.
pub(crate) fn parse_perms(text: &str, warnings: &mut Vec<String>) -> Permission {
    let mut permission = Permission::NONE;
    for ch in text.chars() {
        match PERM_LETTERS.iter().find(|(letter, _)| *letter == ch) {
            Some((_, bit)) => permission = permission | *bit,
            None => warnings.push(format!("Unknown perm type: {ch}")),
        }
    }
    permission
}

/// Formats permissions as zkCli does: letters in `cdrwa` order.
pub fn perm_string(permission: Permission) -> String {
    PERM_LETTERS
        .iter()
        .filter(|(_, bit)| permission.has(*bit))
        .map(|(letter, _)| *letter)
        .collect()
}

/// Formats one ACL entry as the two lines zkCli's `getAcl` prints.
pub fn format_acl(acl: &Acl) -> String {
    format!(
        "'{},'{}\n: {}\n",
        acl.scheme(),
        acl.id(),
        perm_string(acl.permission())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_world_and_digest_with_colon_in_id() {
        let parsed = parse_acl("world:anyone:cdrwa,digest:user:abc=:rw");
        assert!(parsed.warnings.is_empty());
        assert_eq!(parsed.acls.len(), 2);
        assert_eq!(parsed.acls[0], Acl::new(Permission::ALL, AuthId::anyone()));
        assert_eq!(parsed.acls[1].scheme(), "digest");
        assert_eq!(parsed.acls[1].id(), "user:abc=");
        assert_eq!(
            parsed.acls[1].permission(),
            Permission::READ | Permission::WRITE
        );
    }

    #[test]
    fn parses_auth_with_empty_id() {
        let parsed = parse_acl("auth::cdrwa");
        assert!(parsed.warnings.is_empty());
        assert_eq!(
            parsed.acls,
            vec![Acl::new(Permission::ALL, AuthId::authed())]
        );
    }

    #[test]
    fn reports_bad_parts_and_letters() {
        let parsed = parse_acl("foo,ip:1.2.3.4:rxw,world:anyone");
        assert_eq!(parsed.acls.len(), 1);
        assert_eq!(
            parsed.acls[0].permission(),
            Permission::READ | Permission::WRITE
        );
        assert_eq!(
            parsed.warnings,
            vec![
                "foo does not have the form scheme:id:perm".to_string(),
                "Unknown perm type: x".to_string(),
                "world:anyone does not have the form scheme:id:perm".to_string(),
            ]
        );
    }

    #[test]
    fn perm_string_uses_zkcli_order() {
        assert_eq!(perm_string(Permission::ALL), "cdrwa");
        assert_eq!(perm_string(Permission::ADMIN | Permission::READ), "ra");
        assert_eq!(perm_string(Permission::NONE), "");
        let mut warnings = Vec::new();
        assert_eq!(perm_string(parse_perms("awrdc", &mut warnings)), "cdrwa");
        assert!(warnings.is_empty());
    }

    #[test]
    fn format_acl_matches_zkcli() {
        let acl = Acl::new(Permission::READ, AuthId::new("digest", "user:x"));
        assert_eq!(format_acl(&acl), "'digest,'user:x\n: r\n");
    }
}
