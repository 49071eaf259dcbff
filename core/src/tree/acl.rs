//! ACL checks and fixup (zookeeper-protocol.md §9; `ZooKeeperServer.checkACL`,
//! `PrepRequestProcessor.fixupACL`, the digest and ip auth providers).
//!
//! Schemes this server knows: `world` (only `anyone`), `auth` (expanded at fixup), `digest`
//! and `ip`. A `super` id held by the connection passes every check. `sasl` and `x509` ACL
//! entries are refused as unknown schemes, as a Java server without those providers does; auth
//! ids of those schemes are still honoured by `auth` expansion and exact matching, so adding
//! the providers later only needs [`is_known_scheme`] changed.

use base64::Engine as _;
use sha1::{Digest as _, Sha1};

use crate::proto::{Acl, Id, ZkError};

/// Whether `ids` (the connection's auth ids) grant any bit of `perm` on a node with `acl`.
///
/// An empty ACL allows everything; a `super` id allows everything; otherwise an entry must share
/// a bit with `perm` and match `world:anyone` or one of the ids of its own scheme.
#[must_use]
pub fn check(acl: &[Acl], perm: i32, ids: &[Id]) -> bool {
    if acl.is_empty() {
        return true;
    }
    if ids.iter().any(|id| id.scheme == "super") {
        return true;
    }
    acl.iter()
        .filter(|entry| entry.perms & perm != 0)
        .any(|entry| {
            if entry.id.scheme == "world" && entry.id.id == "anyone" {
                return true;
            }
            ids.iter()
                .filter(|held| held.scheme == entry.id.scheme)
                .any(|held| id_matches(&entry.id.scheme, &held.id, &entry.id.id))
        })
}

/// The scheme provider's match of a connection's id against an ACL entry's id.
fn id_matches(scheme: &str, held: &str, pattern: &str) -> bool {
    match scheme {
        "ip" => ip_matches(held, pattern),
        "digest" | "sasl" | "x509" => held == pattern,
        _ => false,
    }
}

/// The schemes an ACL entry may name after fixup.
#[must_use]
pub fn is_known_scheme(scheme: &str) -> bool {
    matches!(scheme, "world" | "digest" | "ip")
}

/// Whether a connection's auth id of this scheme counts for `auth` expansion
/// (`AuthenticationProvider.isAuthenticated`: digest, sasl, x509 yes; ip and super no).
fn is_authenticated_scheme(scheme: &str) -> bool {
    matches!(scheme, "digest" | "sasl" | "x509")
}

/// Checks and normalizes an ACL from a create or setACL (`fixupACL`).
///
/// Duplicates are removed keeping the first occurrence; each `auth` entry becomes one entry per
/// authenticated id the caller holds (with the entry's perms).
///
/// # Errors
/// [`ZkError::InvalidAcl`] for an empty list, an unknown scheme, `world` with an id other than
/// `anyone`, a malformed digest or ip id, or an `auth` entry when the caller holds no
/// authenticated id.
pub fn fixup(acl: &[Acl], auth_ids: &[Id]) -> Result<Vec<Acl>, ZkError> {
    if acl.is_empty() {
        return Err(ZkError::InvalidAcl);
    }
    let mut unique: Vec<&Acl> = Vec::with_capacity(acl.len());
    for entry in acl {
        if !unique.contains(&entry) {
            unique.push(entry);
        }
    }
    let mut out = Vec::with_capacity(unique.len());
    for entry in unique {
        let id = &entry.id;
        if id.scheme == "auth" {
            let before = out.len();
            out.extend(
                auth_ids
                    .iter()
                    .filter(|held| is_authenticated_scheme(&held.scheme))
                    .map(|held| Acl {
                        perms: entry.perms,
                        id: held.clone(),
                    }),
            );
            if out.len() == before {
                return Err(ZkError::InvalidAcl);
            }
        } else if is_valid_id(&id.scheme, &id.id) {
            out.push(entry.clone());
        } else {
            return Err(ZkError::InvalidAcl);
        }
    }
    assert!(!out.is_empty(), "fixup of a non-empty ACL produced nothing");
    Ok(out)
}

/// Whether an ACL id is well formed for its scheme (the provider's `isValid`).
fn is_valid_id(scheme: &str, id: &str) -> bool {
    match scheme {
        "world" => id == "anyone",
        "digest" => java_split_count(id, ':') == 2,
        "ip" => parse_ip_pattern(id).is_some(),
        _ => false,
    }
}

/// The length of Java's `id.split(sep)`: trailing empty pieces are dropped.
fn java_split_count(text: &str, sep: char) -> usize {
    let pieces: Vec<&str> = text.split(sep).collect();
    pieces
        .iter()
        .rposition(|p| !p.is_empty())
        .map_or(0, |last| last + 1)
}

/// The id a connection gets from `addauth digest user:password`: `user:BASE64(SHA1(text))`,
/// where `user` is the text before the first `:` (all of it when there is none).
#[must_use]
pub fn digest_id(user_password: &str) -> String {
    let user = user_password
        .split_once(':')
        .map_or(user_password, |(user, _)| user);
    let hash = Sha1::digest(user_password.as_bytes());
    let encoded = base64::engine::general_purpose::STANDARD.encode(hash);
    format!("{user}:{encoded}")
}

/// The ACL as getACL shows it to a caller without ADMIN: each digest id's hash (everything after
/// its first `:`) becomes `x` (3.8.4 / 3.9.2+, §4).
#[must_use]
pub fn mask_digest(acl: &[Acl]) -> Vec<Acl> {
    acl.iter()
        .map(|entry| {
            let mut entry = entry.clone();
            if entry.id.scheme == "digest" {
                if let Some((user, _)) = entry.id.id.split_once(':') {
                    entry.id.id = format!("{user}:x");
                }
            }
            entry
        })
        .collect()
}

/// An address as bytes: 4 for IPv4, 16 for IPv6.
type AddrBytes = Vec<u8>;

/// Parses an address the way the ip provider does: dotted IPv4 with four decimal parts (leading
/// zeros allowed, as Java's `Integer.parseInt` allows them), or IPv6 (a `%scope` is dropped).
fn parse_addr(text: &str) -> Option<AddrBytes> {
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() == 4 {
        let mut out = Vec::with_capacity(4);
        for part in parts {
            let digits = part.strip_prefix('+').unwrap_or(part);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let value: u32 = digits.parse().ok()?;
            out.push(u8::try_from(value).ok()?);
        }
        return Some(out);
    }
    let bare = text.split_once('%').map_or(text, |(addr, _scope)| addr);
    let v6: core::net::Ipv6Addr = bare.parse().ok()?;
    Some(v6.octets().to_vec())
}

/// Parses an ip ACL id `addr` or `addr/bits` into the address and the prefix length.
fn parse_ip_pattern(pattern: &str) -> Option<(AddrBytes, usize)> {
    let (addr, bits) = match pattern.split_once('/') {
        Some((addr, bits)) => (addr, Some(bits)),
        None => (pattern, None),
    };
    let addr = parse_addr(addr)?;
    let max = addr.len() * 8;
    let bits = match bits {
        None => max,
        Some(text) => {
            let digits = text.strip_prefix('+').unwrap_or(text);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let bits: usize = digits.parse().ok()?;
            if bits > max {
                return None;
            }
            bits
        }
    };
    Some((addr, bits))
}

/// Whether the connection's address falls in the ACL's `addr/bits` prefix. IPv4 never matches
/// IPv6.
fn ip_matches(held: &str, pattern: &str) -> bool {
    let Some((prefix, bits)) = parse_ip_pattern(pattern) else {
        return false;
    };
    let Some(addr) = parse_addr(held) else {
        return false;
    };
    if addr.len() != prefix.len() {
        return false;
    }
    let whole = bits / 8;
    if addr[..whole] != prefix[..whole] {
        return false;
    }
    let rest = bits % 8;
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    addr[whole] & mask == prefix[whole] & mask
}

#[cfg(test)]
#[path = "acl_test.rs"]
mod tests;
