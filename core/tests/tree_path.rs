//! Differential test of path validation (zookeeper-protocol.md §7.4): our segment-based
//! `tree::path::validate` against a literal port of the rules as Java applies them, one UTF-16
//! unit at a time, on random strings over an alphabet of the characters that matter.

use quickcheck::{Arbitrary, Gen, QuickCheck};
use zoorepl_core::proto::ZkError;
use zoorepl_core::tree::path;

/// The characters that exercise every rule, and their neighbours.
const ALPHABET: [char; 16] = [
    '/',
    '/',
    '/',
    '.',
    '.',
    'a',
    'z',
    '\u{0}',
    '\u{1f}',
    '\u{20}',
    '\u{7f}',
    '\u{a0}',
    '\u{e000}',
    '\u{fff0}',
    '\u{1f600}',
    'é',
];

#[derive(Clone, Debug)]
struct PathText(String);

impl Arbitrary for PathText {
    fn arbitrary(g: &mut Gen) -> Self {
        let len = usize::arbitrary(g) % 9;
        let mut s = String::new();
        if bool::arbitrary(g) || bool::arbitrary(g) {
            s.push('/');
        }
        for _ in 0..len {
            s.push(*g.choose(&ALPHABET).expect("non-empty"));
        }
        Self(s)
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        Box::new(self.0.shrink().map(Self))
    }
}

/// The rule as Java states it, on UTF-16 units: start with '/', '/' alone is fine, no trailing
/// '/', then per unit: no NUL, no "//", no "." or ".." segment, no unit in the forbidden ranges.
fn java_rule(path: &str) -> bool {
    let units: Vec<u16> = path.encode_utf16().collect();
    let slash = u16::from(b'/');
    let dot = u16::from(b'.');
    if units.first() != Some(&slash) {
        return false;
    }
    if units.len() == 1 {
        return true;
    }
    if units.last() == Some(&slash) {
        return false;
    }
    let mut last = slash;
    for i in 1..units.len() {
        let c = units[i];
        let next_ends_segment = i + 1 == units.len() || units[i + 1] == slash;
        let bad = if c == 0 || (c == slash && last == slash) {
            true
        } else if c == dot && last == dot {
            units[i - 2] == slash && next_ends_segment
        } else if c == dot {
            units[i - 1] == slash && next_ends_segment
        } else {
            matches!(c, 0x01..=0x1f | 0x7f..=0x9f | 0xd800..=0xf8ff | 0xfff0..=0xffff)
        };
        if bad {
            return false;
        }
        last = c;
    }
    true
}

fn agrees(p: PathText) -> bool {
    let ours = path::validate(&p.0);
    let java = java_rule(&p.0);
    assert_eq!(ours.is_ok(), java, "validate({:?}) = {ours:?}", p.0);
    if !java {
        assert_eq!(ours, Err(ZkError::BadArguments));
    }
    true
}

#[test]
fn validate_agrees_with_java_rules_quickcheck() {
    QuickCheck::new()
        .tests(20_000)
        .rng(Gen::new(10))
        .quickcheck(agrees as fn(PathText) -> bool);
}

#[test]
fn validate_agrees_on_hand_picked_cases() {
    for p in [
        "/",
        "",
        "a",
        "/a",
        "/a/",
        "//",
        "/.",
        "/..",
        "/...",
        "/a/.",
        "/a/..",
        "/a/.b",
        "/a/b.",
        "/..a",
        "/a..",
        "/.a.",
        "/a/../b",
        "/a\u{0}",
        "/\u{1f600}",
        "/é",
        "/\u{fff0}",
    ] {
        agrees(PathText(p.to_owned()));
    }
}
