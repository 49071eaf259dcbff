//! quickcheck generators for every codec type (tests, and the simulator through feature
//! `testing`). Generated values are always encodable: creates carry a ttl exactly with createTTL,
//! setWatches (101) has no persistent lists, `Unknown`/`Malformed` carry opcodes that decode back
//! to the same variant from a bare header.

use bytes::Bytes;
use quickcheck::{Arbitrary, Gen};

use super::{
    Acl, ClientInfo, ConnectRequest, ConnectResponse, CreateRequest, EventType, Id, MultiOp,
    MultiReadResult, MultiResult, OpCode, ReadOp, ReplyHeader, Request, Response, SetWatches, Stat,
    WatcherEvent, ZkError,
};
use crate::ids::Xid;

/// A `Vec` of at most `max` elements (keeps nested structures small).
fn small_vec<T>(g: &mut Gen, max: usize, mut elem: impl FnMut(&mut Gen) -> T) -> Vec<T> {
    let n = usize::arbitrary(g) % (max + 1);
    (0..n).map(|_| elem(g)).collect()
}

fn opt_bytes(g: &mut Gen) -> Option<Bytes> {
    Option::<Vec<u8>>::arbitrary(g).map(Bytes::from)
}

fn strings(g: &mut Gen) -> Vec<String> {
    small_vec(g, 8, String::arbitrary)
}

fn pick<T: Copy>(g: &mut Gen, items: &[T]) -> T {
    *g.choose(items).expect("non-empty choice")
}

/// A reply code: mostly 0, else a real error code.
fn err_code(g: &mut Gen) -> i32 {
    if bool::arbitrary(g) {
        0
    } else {
        pick(g, &ZkError::ALL).code()
    }
}

impl Arbitrary for OpCode {
    fn arbitrary(g: &mut Gen) -> Self {
        pick(g, &Self::ALL)
    }
}

impl Arbitrary for Stat {
    fn arbitrary(g: &mut Gen) -> Self {
        Self {
            czxid: i64::arbitrary(g),
            mzxid: i64::arbitrary(g),
            ctime: i64::arbitrary(g),
            mtime: i64::arbitrary(g),
            version: i32::arbitrary(g),
            cversion: i32::arbitrary(g),
            aversion: i32::arbitrary(g),
            ephemeral_owner: i64::arbitrary(g),
            data_length: i32::arbitrary(g),
            num_children: i32::arbitrary(g),
            pzxid: i64::arbitrary(g),
        }
    }
}

impl Arbitrary for Acl {
    fn arbitrary(g: &mut Gen) -> Self {
        Self {
            perms: i32::arbitrary(g),
            id: Id {
                scheme: String::arbitrary(g),
                id: String::arbitrary(g),
            },
        }
    }
}

impl Arbitrary for ClientInfo {
    fn arbitrary(g: &mut Gen) -> Self {
        Self {
            auth_scheme: String::arbitrary(g),
            user: String::arbitrary(g),
        }
    }
}

impl Arbitrary for CreateRequest {
    fn arbitrary(g: &mut Gen) -> Self {
        Self {
            path: String::arbitrary(g),
            data: opt_bytes(g),
            acl: small_vec(g, 4, Acl::arbitrary),
            flags: i32::arbitrary(g),
        }
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        let base = self.clone();
        let no_data = (self.data.is_some()).then(|| Self {
            data: None,
            ..base.clone()
        });
        let acl = {
            let base = base.clone();
            self.acl.shrink().map(move |acl| Self {
                acl,
                ..base.clone()
            })
        };
        let path = self.path.shrink().map(move |path| Self {
            path,
            ..base.clone()
        });
        Box::new(no_data.into_iter().chain(acl).chain(path))
    }
}

/// A create opcode with its consistent ttl.
fn create_op(g: &mut Gen) -> (OpCode, Option<i64>) {
    let op = pick(
        g,
        &[
            OpCode::Create,
            OpCode::Create2,
            OpCode::CreateContainer,
            OpCode::CreateTtl,
        ],
    );
    let ttl = (op == OpCode::CreateTtl).then(|| i64::arbitrary(g));
    (op, ttl)
}

impl Arbitrary for MultiOp {
    fn arbitrary(g: &mut Gen) -> Self {
        let path = String::arbitrary(g);
        let version = i32::arbitrary(g);
        match u8::arbitrary(g) % 4 {
            0 => {
                let (op, ttl) = create_op(g);
                let req = CreateRequest {
                    path,
                    ..CreateRequest::arbitrary(g)
                };
                Self::Create { op, req, ttl }
            }
            1 => Self::Delete { path, version },
            2 => Self::SetData {
                path,
                data: opt_bytes(g),
                version,
            },
            _ => Self::Check { path, version },
        }
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        match self.clone() {
            Self::Create { op, req, ttl } => {
                Box::new(req.shrink().map(move |req| Self::Create { op, req, ttl }))
            }
            Self::Delete { path, version } => Box::new(
                path.shrink()
                    .map(move |path| Self::Delete { path, version }),
            ),
            Self::SetData {
                path,
                data,
                version,
            } => Box::new(path.shrink().map(move |path| Self::SetData {
                path,
                data: data.clone(),
                version,
            })),
            Self::Check { path, version } => {
                Box::new(path.shrink().map(move |path| Self::Check { path, version }))
            }
        }
    }
}

impl Arbitrary for ReadOp {
    fn arbitrary(g: &mut Gen) -> Self {
        let path = String::arbitrary(g);
        let watch = bool::arbitrary(g);
        if bool::arbitrary(g) {
            Self::GetChildren { path, watch }
        } else {
            Self::GetData { path, watch }
        }
    }
}

impl Arbitrary for SetWatches {
    fn arbitrary(g: &mut Gen) -> Self {
        let v2 = bool::arbitrary(g);
        Self {
            op: if v2 {
                OpCode::SetWatches2
            } else {
                OpCode::SetWatches
            },
            relative_zxid: i64::arbitrary(g),
            data: strings(g),
            exist: strings(g),
            child: strings(g),
            persistent: if v2 { strings(g) } else { Vec::new() },
            persistent_recursive: if v2 { strings(g) } else { Vec::new() },
        }
    }
}

/// Opcodes that decode as [`Request::Unknown`].
const UNKNOWN_OPS: [i32; 10] = [0, 10, 20, -10, -1, 23, 99, 108, -2, -12];

/// Opcodes whose record cannot be empty, so a bare header decodes as [`Request::Malformed`].
const MALFORMED_OPS: [i32; 26] = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 100, 101, 102, 103, 104,
    105, 106,
];

impl Arbitrary for Request {
    fn arbitrary(g: &mut Gen) -> Self {
        let path = String::arbitrary(g);
        let watch = bool::arbitrary(g);
        let version = i32::arbitrary(g);
        match u8::arbitrary(g) % 29 {
            0 => {
                let (op, ttl) = create_op(g);
                let req = CreateRequest {
                    path,
                    ..CreateRequest::arbitrary(g)
                };
                Self::Create { op, req, ttl }
            }
            1 => Self::Delete { path, version },
            2 => Self::Exists { path, watch },
            3 => Self::GetData { path, watch },
            4 => Self::SetData {
                path,
                data: opt_bytes(g),
                version,
            },
            5 => Self::GetAcl { path },
            6 => Self::SetAcl {
                path,
                acl: small_vec(g, 4, Acl::arbitrary),
                version,
            },
            7 => Self::GetChildren { path, watch },
            8 => Self::GetChildren2 { path, watch },
            9 => Self::Sync { path },
            10 => Self::Ping,
            11 => Self::Check { path, version },
            12 => Self::Multi(small_vec(g, 6, MultiOp::arbitrary)),
            13 => Self::MultiRead(small_vec(g, 6, ReadOp::arbitrary)),
            14 => Self::Reconfig {
                joining: Option::arbitrary(g),
                leaving: Option::arbitrary(g),
                new_members: Option::arbitrary(g),
                cur_config_id: i64::arbitrary(g),
            },
            n => arbitrary_request_rest(n, path, g),
        }
    }

    /// Shrinks lists (multi ops, ACLs, watch lists) and then the path; other fields stay.
    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        match self.clone() {
            Self::Multi(ops) => Box::new(ops.shrink().map(Self::Multi)),
            Self::MultiRead(ops) => Box::new(ops.shrink().map(Self::MultiRead)),
            Self::Create { op, req, ttl } => {
                Box::new(req.shrink().map(move |req| Self::Create { op, req, ttl }))
            }
            Self::SetWatches(w) => Box::new(shrink_set_watches(w).map(Self::SetWatches)),
            Self::SetAcl { path, acl, version } => {
                Box::new(acl.shrink().map(move |acl| Self::SetAcl {
                    path: path.clone(),
                    acl,
                    version,
                }))
            }
            other => shrink_path(other),
        }
    }
}

/// Drops one whole watch list at a time.
fn shrink_set_watches(w: SetWatches) -> impl Iterator<Item = SetWatches> {
    let lists: [fn(&mut SetWatches) -> &mut Vec<String>; 5] = [
        |w| &mut w.data,
        |w| &mut w.exist,
        |w| &mut w.child,
        |w| &mut w.persistent,
        |w| &mut w.persistent_recursive,
    ];
    lists.into_iter().filter_map(move |list| {
        let mut smaller = w.clone();
        let l = list(&mut smaller);
        if l.is_empty() {
            return None;
        }
        l.clear();
        Some(smaller)
    })
}

/// Shrinks the path of a request that names one, leaving the rest.
fn shrink_path(req: Request) -> Box<dyn Iterator<Item = Request>> {
    let Some(path) = req.path().map(str::to_owned) else {
        return quickcheck::empty_shrinker();
    };
    Box::new(path.shrink().filter_map(move |p| {
        let mut smaller = req.clone();
        *path_mut(&mut smaller)? = p;
        Some(smaller)
    }))
}

fn path_mut(req: &mut Request) -> Option<&mut String> {
    match req {
        Request::Delete { path, .. }
        | Request::Exists { path, .. }
        | Request::GetData { path, .. }
        | Request::SetData { path, .. }
        | Request::GetAcl { path }
        | Request::SetAcl { path, .. }
        | Request::GetChildren { path, .. }
        | Request::GetChildren2 { path, .. }
        | Request::Sync { path }
        | Request::Check { path, .. }
        | Request::CheckWatches { path, .. }
        | Request::RemoveWatches { path, .. }
        | Request::GetAllChildrenNumber { path }
        | Request::AddWatch { path, .. } => Some(path),
        _ => None,
    }
}

fn arbitrary_request_rest(n: u8, path: String, g: &mut Gen) -> Request {
    match n {
        15 => Request::CheckWatches {
            path,
            kind: i32::arbitrary(g),
        },
        16 => Request::RemoveWatches {
            path,
            kind: i32::arbitrary(g),
        },
        17 => Request::Auth {
            auth_type: i32::arbitrary(g),
            scheme: String::arbitrary(g),
            auth: opt_bytes(g),
        },
        18 => Request::SetWatches(SetWatches::arbitrary(g)),
        19 => Request::Sasl {
            token: opt_bytes(g),
        },
        20 => Request::GetEphemerals {
            prefix: Option::arbitrary(g),
        },
        21 => Request::GetAllChildrenNumber { path },
        22 => Request::AddWatch {
            path,
            mode: i32::arbitrary(g),
        },
        23 => Request::WhoAmI,
        24 => Request::CloseSession,
        25 => Request::Unknown {
            op: pick(g, &UNKNOWN_OPS),
        },
        26 => {
            let op = i32::arbitrary(g);
            if OpCode::from_code(op).is_some() {
                Request::Unknown { op: 10 }
            } else {
                Request::Unknown { op }
            }
        }
        _ => Request::Malformed {
            op: pick(g, &MALFORMED_OPS),
        },
    }
}

impl Arbitrary for MultiResult {
    fn arbitrary(g: &mut Gen) -> Self {
        match u8::arbitrary(g) % 6 {
            0 => Self::Create {
                path: String::arbitrary(g),
            },
            1 => Self::Create2 {
                path: String::arbitrary(g),
                stat: Stat::arbitrary(g),
            },
            2 => Self::Delete,
            3 => Self::SetData {
                stat: Stat::arbitrary(g),
            },
            4 => Self::Check,
            _ => Self::Error { err: err_code(g) },
        }
    }
}

impl Arbitrary for MultiReadResult {
    fn arbitrary(g: &mut Gen) -> Self {
        match u8::arbitrary(g) % 3 {
            0 => Self::GetChildren {
                children: strings(g),
            },
            1 => Self::GetData {
                data: opt_bytes(g),
                stat: Stat::arbitrary(g),
            },
            _ => Self::Error { err: err_code(g) },
        }
    }
}

/// A reply as a server would send it: the opcode of the request it answers, a header, and a body
/// of the shape that opcode gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyCase {
    /// The request's opcode, for [`super::decode_reply`].
    pub op: OpCode,
    /// The header (err is mostly 0).
    pub hdr: ReplyHeader,
    /// The body (ignored by the encoder when `hdr.err != 0`).
    pub body: Response,
}

impl Arbitrary for Response {
    /// Any body; use [`ReplyCase`] when the matching opcode is needed to decode it.
    fn arbitrary(g: &mut Gen) -> Self {
        arbitrary_response(g).1
    }
}

/// The opcodes whose successful reply has no body.
const EMPTY_BODY_OPS: [OpCode; 9] = [
    OpCode::Delete,
    OpCode::Ping,
    OpCode::CloseSession,
    OpCode::SetWatches,
    OpCode::SetWatches2,
    OpCode::Auth,
    OpCode::CheckWatches,
    OpCode::RemoveWatches,
    OpCode::Check,
];

impl Arbitrary for ReplyCase {
    fn arbitrary(g: &mut Gen) -> Self {
        let (op, body) = arbitrary_response(g);
        let hdr = ReplyHeader {
            xid: Xid(i32::arbitrary(g)),
            zxid: i64::arbitrary(g),
            err: if u8::arbitrary(g) % 4 == 0 {
                err_code(g)
            } else {
                0
            },
        };
        Self { op, hdr, body }
    }

    /// Shrinks the lists inside multi and multiRead bodies.
    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        let (op, hdr) = (self.op, self.hdr);
        match self.body.clone() {
            Response::Multi(v) => Box::new(v.shrink().map(move |v| Self {
                op,
                hdr,
                body: Response::Multi(v),
            })),
            Response::MultiRead(v) => Box::new(v.shrink().map(move |v| Self {
                op,
                hdr,
                body: Response::MultiRead(v),
            })),
            _ => quickcheck::empty_shrinker(),
        }
    }
}

fn arbitrary_response(g: &mut Gen) -> (OpCode, Response) {
    let stat = Stat::arbitrary(g);
    let path = String::arbitrary(g);
    match u8::arbitrary(g) % 19 {
        0 => (OpCode::Create, Response::Create { path }),
        1 => {
            let op = pick(
                g,
                &[OpCode::Create2, OpCode::CreateContainer, OpCode::CreateTtl],
            );
            (op, Response::Create2 { path, stat })
        }
        2 => (OpCode::Exists, Response::Exists { stat }),
        3 => (
            OpCode::GetData,
            Response::GetData {
                data: opt_bytes(g),
                stat,
            },
        ),
        4 => (OpCode::SetData, Response::SetData { stat }),
        5 => (
            OpCode::GetAcl,
            Response::GetAcl {
                acl: small_vec(g, 4, Acl::arbitrary),
                stat,
            },
        ),
        6 => (OpCode::SetAcl, Response::SetAcl { stat }),
        7 => (
            OpCode::GetChildren,
            Response::GetChildren {
                children: strings(g),
            },
        ),
        8 => (
            OpCode::GetChildren2,
            Response::GetChildren2 {
                children: strings(g),
                stat,
            },
        ),
        9 => (OpCode::Sync, Response::Sync { path }),
        n => arbitrary_response_rest(n, stat, g),
    }
}

fn arbitrary_response_rest(n: u8, stat: Stat, g: &mut Gen) -> (OpCode, Response) {
    match n {
        10 => (
            OpCode::Multi,
            Response::Multi(small_vec(g, 6, MultiResult::arbitrary)),
        ),
        11 => (
            OpCode::MultiRead,
            Response::MultiRead(small_vec(g, 6, MultiReadResult::arbitrary)),
        ),
        12 => (
            OpCode::Reconfig,
            Response::Reconfig {
                data: opt_bytes(g),
                stat,
            },
        ),
        13 => (
            OpCode::GetEphemerals,
            Response::GetEphemerals { paths: strings(g) },
        ),
        14 => (
            OpCode::GetAllChildrenNumber,
            Response::AllChildrenNumber {
                count: i32::arbitrary(g),
            },
        ),
        15 => (OpCode::AddWatch, Response::AddWatch),
        16 => (
            OpCode::WhoAmI,
            Response::WhoAmI {
                clients: small_vec(g, 4, ClientInfo::arbitrary),
            },
        ),
        17 => (
            OpCode::Sasl,
            Response::Sasl {
                token: opt_bytes(g),
            },
        ),
        _ => (pick(g, &EMPTY_BODY_OPS), Response::Empty),
    }
}

impl Arbitrary for EventType {
    fn arbitrary(g: &mut Gen) -> Self {
        pick(
            g,
            &[
                Self::NodeCreated,
                Self::NodeDeleted,
                Self::NodeDataChanged,
                Self::NodeChildrenChanged,
            ],
        )
    }
}

impl Arbitrary for WatcherEvent {
    fn arbitrary(g: &mut Gen) -> Self {
        Self {
            event_type: EventType::arbitrary(g),
            state: i32::arbitrary(g),
            path: String::arbitrary(g),
        }
    }
}

impl Arbitrary for ConnectRequest {
    fn arbitrary(g: &mut Gen) -> Self {
        Self {
            protocol_version: i32::arbitrary(g),
            last_zxid_seen: i64::arbitrary(g),
            timeout_ms: i32::arbitrary(g),
            session_id: i64::arbitrary(g),
            passwd: Vec::arbitrary(g),
            read_only: Option::arbitrary(g),
        }
    }
}

impl Arbitrary for ConnectResponse {
    fn arbitrary(g: &mut Gen) -> Self {
        Self {
            protocol_version: i32::arbitrary(g),
            timeout_ms: i32::arbitrary(g),
            session_id: i64::arbitrary(g),
            passwd: Vec::arbitrary(g),
            read_only: Option::arbitrary(g),
        }
    }
}
