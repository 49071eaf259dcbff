//! Reading the golden capture files (format: `tests/golden/README.md`).

use std::path::{Path, PathBuf};

/// Which way a frame went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dir {
    /// `c2s`: client to server.
    ClientToServer,
    /// `s2c`: server to client.
    ServerToClient,
}

/// One captured frame.
#[derive(Debug)]
pub(crate) struct Frame {
    /// The connection it belongs to (1-based within its file).
    pub(crate) conn: u32,
    /// Its direction.
    pub(crate) dir: Dir,
    /// The payload, without the 4-byte length.
    pub(crate) payload: Vec<u8>,
    /// Its line in the file (1-based), for messages.
    pub(crate) line: usize,
}

/// One capture file.
#[derive(Debug)]
pub(crate) struct Capture {
    /// The file name (`kazoo_connect.txt`).
    pub(crate) name: String,
    /// Its frames in file order.
    pub(crate) frames: Vec<Frame>,
}

/// The directory holding the captures.
pub(crate) fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Every `*.txt` capture, sorted by name. Panics on a malformed file (a broken capture is a test
/// bug, not a codec bug).
pub(crate) fn load_captures() -> Vec<Capture> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(golden_dir())
        .expect("tests/golden is readable")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .expect("UTF-8 file name")
                .to_string();
            let text = std::fs::read_to_string(p).expect("capture is readable UTF-8");
            let frames = parse(&name, &text);
            Capture { name, frames }
        })
        .collect()
}

/// Parses one capture's text.
pub(crate) fn parse(name: &str, text: &str) -> Vec<Frame> {
    let mut frames = Vec::new();
    let mut conn = None;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let raw = raw.trim_end();
        if raw.is_empty() || raw.starts_with('#') {
            continue;
        }
        // An empty payload leaves "c2s" with its trailing space trimmed.
        let (kind, rest) = raw.split_once(' ').unwrap_or((raw, ""));
        let dir = match kind {
            "conn" => {
                conn = Some(rest.parse().expect("conn number"));
                continue;
            }
            "c2s" => Dir::ClientToServer,
            "s2c" => Dir::ServerToClient,
            _ => panic!("{name}:{line}: unknown line kind {kind:?}"),
        };
        let conn = conn.unwrap_or_else(|| panic!("{name}:{line}: frame before any conn line"));
        let payload = unhex(rest).unwrap_or_else(|| panic!("{name}:{line}: bad hex"));
        frames.push(Frame {
            conn,
            dir,
            payload,
            line,
        });
    }
    frames
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        write!(s, "{b:02x}").expect("writing to a String");
        s
    })
}

#[test]
fn parse_reads_conn_switches_and_payloads() {
    let text = "# c\nconn 1\nc2s 0001\nconn 2\ns2c ff\nconn 1\ns2c \n";
    let frames = parse("t", text);
    assert_eq!(frames.len(), 3);
    assert_eq!((frames[0].conn, frames[0].dir), (1, Dir::ClientToServer));
    assert_eq!(frames[0].payload, vec![0, 1]);
    assert_eq!((frames[1].conn, frames[1].payload.clone()), (2, vec![0xff]));
    assert_eq!((frames[2].conn, frames[2].line), (1, 7));
    assert_eq!(hex(&[0, 0xab]), "00ab");
    assert_eq!(unhex("0g"), None);
}
