//! Client requests (zookeeper-protocol.md §3–5, §8.4): `RequestHeader` + one record per opcode.
//!
//! Null handling on decode: a null `ustring` reads as `""` where the model holds a `String` (paths,
//! schemes), which every path check rejects as Java rejects a null path; it stays `None` where the
//! protocol gives null a meaning (reconfig's server lists, getEphemerals' prefix). Null vectors read
//! as empty (Java treats a null ACL list like an empty one: INVALIDACL). Null buffers stay `None`.
//!
//! Decoding lives in `request_decode.rs`.

use bytes::Bytes;

use super::opcode::OpCode;
use super::records::Acl;
use super::wire::{
    put_acl_list, put_bool, put_buffer, put_i32, put_i64, put_opt_ustring, put_strings, put_ustring,
};
use crate::ids::Xid;

/// `RequestHeader{int xid, int type}`. `op` stays a raw `i32` so unknown opcodes survive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RequestHeader {
    /// The request id, echoed in the reply.
    pub xid: Xid,
    /// The opcode as sent.
    pub op: i32,
}

/// `CreateRequest{path, buffer data, vector<ACL> acl, int flags}` (also the head of
/// `CreateTTLRequest`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct CreateRequest {
    /// The requested path (without any sequential suffix).
    pub path: String,
    /// The data; `None` is null data, distinct from empty.
    pub data: Option<Bytes>,
    /// The requested ACL (a null list reads as empty).
    pub acl: Vec<Acl>,
    /// The create mode (§7.1).
    pub flags: i32,
}

/// `SetWatches` (101) or `SetWatches2` (105), sent with xid -8 after a reconnect (§8.4).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SetWatches {
    /// [`OpCode::SetWatches`] or [`OpCode::SetWatches2`]; only the latter carries the persistent
    /// lists, which are empty for the former.
    pub op: OpCode,
    /// The client's lastZxidSeen.
    pub relative_zxid: i64,
    /// Paths with a data watch.
    pub data: Vec<String>,
    /// Paths with an exist watch (node missing when set).
    pub exist: Vec<String>,
    /// Paths with a child watch.
    pub child: Vec<String>,
    /// Paths with a persistent watch (105 only).
    pub persistent: Vec<String>,
    /// Paths with a persistent recursive watch (105 only).
    pub persistent_recursive: Vec<String>,
}

/// A write op allowed inside multi (14).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MultiOp {
    /// create (1), create2 (15), createContainer (19) or createTTL (21, with `ttl`).
    Create {
        /// Which create opcode.
        op: OpCode,
        /// The record.
        req: CreateRequest,
        /// `Some` exactly when `op` is createTTL.
        ttl: Option<i64>,
    },
    /// delete (2).
    Delete {
        /// The node.
        path: String,
        /// Expected data version, -1 for any.
        version: i32,
    },
    /// setData (5).
    SetData {
        /// The node.
        path: String,
        /// New data; `None` is null.
        data: Option<Bytes>,
        /// Expected data version, -1 for any.
        version: i32,
    },
    /// check (13).
    Check {
        /// The node.
        path: String,
        /// Expected data version, -1 for any.
        version: i32,
    },
}

impl MultiOp {
    /// The opcode this op is sent with inside the multi.
    #[must_use]
    pub const fn op(&self) -> OpCode {
        match self {
            Self::Create { op, .. } => *op,
            Self::Delete { .. } => OpCode::Delete,
            Self::SetData { .. } => OpCode::SetData,
            Self::Check { .. } => OpCode::Check,
        }
    }

    /// The node the op names.
    #[must_use]
    pub fn path(&self) -> &str {
        match self {
            Self::Create { req, .. } => &req.path,
            Self::Delete { path, .. } | Self::SetData { path, .. } | Self::Check { path, .. } => {
                path
            }
        }
    }
}

/// A read op allowed inside multiRead (22).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ReadOp {
    /// getChildren (8).
    GetChildren {
        /// The node.
        path: String,
        /// The watch flag (clients send false).
        watch: bool,
    },
    /// getData (4).
    GetData {
        /// The node.
        path: String,
        /// The watch flag (clients send false).
        watch: bool,
    },
}

impl ReadOp {
    /// The opcode this op is sent with inside the multiRead.
    #[must_use]
    pub const fn op(&self) -> OpCode {
        match self {
            Self::GetChildren { .. } => OpCode::GetChildren,
            Self::GetData { .. } => OpCode::GetData,
        }
    }

    /// The node the op names.
    #[must_use]
    pub fn path(&self) -> &str {
        match self {
            Self::GetChildren { path, .. } | Self::GetData { path, .. } => path,
        }
    }
}

/// One decoded client request: a variant per opcode, plus [`Request::Unknown`] and
/// [`Request::Malformed`] for what the server must refuse.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Request {
    /// create (1), create2 (15), createContainer (19), createTTL (21).
    Create {
        /// Which create opcode.
        op: OpCode,
        /// The record.
        req: CreateRequest,
        /// `Some` exactly when `op` is createTTL.
        ttl: Option<i64>,
    },
    /// delete (2).
    Delete {
        /// The node.
        path: String,
        /// Expected data version, -1 for any.
        version: i32,
    },
    /// exists (3).
    Exists {
        /// The node.
        path: String,
        /// Leave a data (exist) watch.
        watch: bool,
    },
    /// getData (4).
    GetData {
        /// The node.
        path: String,
        /// Leave a data watch.
        watch: bool,
    },
    /// setData (5).
    SetData {
        /// The node.
        path: String,
        /// New data; `None` is null.
        data: Option<Bytes>,
        /// Expected data version, -1 for any.
        version: i32,
    },
    /// getACL (6).
    GetAcl {
        /// The node.
        path: String,
    },
    /// setACL (7).
    SetAcl {
        /// The node.
        path: String,
        /// The new ACL.
        acl: Vec<Acl>,
        /// Expected ACL version (aversion), -1 for any.
        version: i32,
    },
    /// getChildren (8).
    GetChildren {
        /// The node.
        path: String,
        /// Leave a child watch.
        watch: bool,
    },
    /// getChildren2 (12).
    GetChildren2 {
        /// The node.
        path: String,
        /// Leave a child watch.
        watch: bool,
    },
    /// sync (9).
    Sync {
        /// The path, echoed back.
        path: String,
    },
    /// ping (11), xid -2.
    Ping,
    /// check (13) outside multi: decodes, but the server answers UNIMPLEMENTED and closes.
    Check {
        /// The node.
        path: String,
        /// Expected data version.
        version: i32,
    },
    /// multi (14).
    Multi(Vec<MultiOp>),
    /// multiRead (22).
    MultiRead(Vec<ReadOp>),
    /// reconfig (16).
    Reconfig {
        /// Servers to add (null = none).
        joining: Option<String>,
        /// Server ids to remove (null = none).
        leaving: Option<String>,
        /// A whole new membership (non-incremental reconfig).
        new_members: Option<String>,
        /// Expected current config version, -1 for any.
        cur_config_id: i64,
    },
    /// checkWatches (17).
    CheckWatches {
        /// The node.
        path: String,
        /// WatcherType (§6).
        kind: i32,
    },
    /// removeWatches (18).
    RemoveWatches {
        /// The node.
        path: String,
        /// WatcherType (§6).
        kind: i32,
    },
    /// auth (100), xid -4.
    Auth {
        /// Always 0.
        auth_type: i32,
        /// The scheme (`digest`, ...).
        scheme: String,
        /// The credential.
        auth: Option<Bytes>,
    },
    /// setWatches (101) / setWatches2 (105), xid -8.
    SetWatches(SetWatches),
    /// sasl (102).
    Sasl {
        /// The SASL token.
        token: Option<Bytes>,
    },
    /// getEphemerals (103).
    GetEphemerals {
        /// String prefix; null, empty or "/" mean all.
        prefix: Option<String>,
    },
    /// getAllChildrenNumber (104).
    GetAllChildrenNumber {
        /// The node.
        path: String,
    },
    /// addWatch (106).
    AddWatch {
        /// The node (need not exist).
        path: String,
        /// 0 PERSISTENT, 1 PERSISTENT_RECURSIVE.
        mode: i32,
    },
    /// whoAmI (107), no body.
    WhoAmI,
    /// closeSession (-11), no body.
    CloseSession,
    /// An opcode ZooKeeper does not define or that is never a request (0, 10, 20, -10, -1, ...).
    /// The server answers UNIMPLEMENTED and closes.
    Unknown {
        /// The opcode as sent.
        op: i32,
    },
    /// A known opcode whose record did not parse (truncated, a length below -1, a string that is
    /// not UTF-8), or a multi (14) holding a read or a multiRead (22) holding a write (Java
    /// rejects mixing; we also reject an all-read multi 14). The server answers MARSHALLINGERROR.
    /// [`super::decode_request_body`] gives the reason.
    Malformed {
        /// The opcode as sent.
        op: i32,
    },
}

impl Request {
    /// The opcode this request is sent with.
    #[must_use]
    pub const fn op(&self) -> i32 {
        let op = match self {
            Self::Create { op, .. } => *op,
            Self::SetWatches(w) => w.op,
            Self::Unknown { op } | Self::Malformed { op } => return *op,
            Self::Delete { .. } => OpCode::Delete,
            Self::Exists { .. } => OpCode::Exists,
            Self::GetData { .. } => OpCode::GetData,
            Self::SetData { .. } => OpCode::SetData,
            Self::GetAcl { .. } => OpCode::GetAcl,
            Self::SetAcl { .. } => OpCode::SetAcl,
            Self::GetChildren { .. } => OpCode::GetChildren,
            Self::GetChildren2 { .. } => OpCode::GetChildren2,
            Self::Sync { .. } => OpCode::Sync,
            Self::Ping => OpCode::Ping,
            Self::Check { .. } => OpCode::Check,
            Self::Multi(_) => OpCode::Multi,
            Self::MultiRead(_) => OpCode::MultiRead,
            Self::Reconfig { .. } => OpCode::Reconfig,
            Self::CheckWatches { .. } => OpCode::CheckWatches,
            Self::RemoveWatches { .. } => OpCode::RemoveWatches,
            Self::Auth { .. } => OpCode::Auth,
            Self::Sasl { .. } => OpCode::Sasl,
            Self::GetEphemerals { .. } => OpCode::GetEphemerals,
            Self::GetAllChildrenNumber { .. } => OpCode::GetAllChildrenNumber,
            Self::AddWatch { .. } => OpCode::AddWatch,
            Self::WhoAmI => OpCode::WhoAmI,
            Self::CloseSession => OpCode::CloseSession,
        };
        op.code()
    }

    /// The path the request names, if it names exactly one (multi and multiRead name many).
    #[must_use]
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::Create { req, .. } => Some(&req.path),
            Self::Delete { path, .. }
            | Self::Exists { path, .. }
            | Self::GetData { path, .. }
            | Self::SetData { path, .. }
            | Self::GetAcl { path }
            | Self::SetAcl { path, .. }
            | Self::GetChildren { path, .. }
            | Self::GetChildren2 { path, .. }
            | Self::Sync { path }
            | Self::Check { path, .. }
            | Self::CheckWatches { path, .. }
            | Self::RemoveWatches { path, .. }
            | Self::GetAllChildrenNumber { path }
            | Self::AddWatch { path, .. } => Some(path),
            Self::GetEphemerals { prefix } => prefix.as_deref(),
            Self::Multi(_)
            | Self::MultiRead(_)
            | Self::Ping
            | Self::Reconfig { .. }
            | Self::Auth { .. }
            | Self::SetWatches(_)
            | Self::Sasl { .. }
            | Self::WhoAmI
            | Self::CloseSession
            | Self::Unknown { .. }
            | Self::Malformed { .. } => None,
        }
    }

    /// The known opcode, `None` for [`Request::Unknown`] with an undefined code.
    #[must_use]
    pub const fn op_code(&self) -> Option<OpCode> {
        OpCode::from_code(self.op())
    }
}

// ---------------------------------------------------------------------------------------------
// Encoding

/// Appends a request payload (header + record, no frame) to `out`.
///
/// [`Request::Unknown`] and [`Request::Malformed`] are written as a bare header.
///
/// # Panics
/// On an inconsistent value (a caller bug): a create whose `op` is not a create opcode or whose
/// `ttl` is present without createTTL (or missing with it), setWatches (101) with persistent lists.
pub fn encode_request(xid: Xid, req: &Request, out: &mut Vec<u8>) {
    put_i32(out, xid.0);
    put_i32(out, req.op());
    encode_request_body(req, out);
}

fn encode_request_body(req: &Request, out: &mut Vec<u8>) {
    match req {
        Request::Create { op, req, ttl } => encode_create(*op, req, *ttl, out),
        Request::Delete { path, version } | Request::Check { path, version } => {
            put_ustring(out, path);
            put_i32(out, *version);
        }
        Request::Exists { path, watch }
        | Request::GetData { path, watch }
        | Request::GetChildren { path, watch }
        | Request::GetChildren2 { path, watch } => {
            put_ustring(out, path);
            put_bool(out, *watch);
        }
        Request::SetData {
            path,
            data,
            version,
        } => encode_set_data(path, data.as_deref(), *version, out),
        Request::GetAcl { path } | Request::Sync { path } => put_ustring(out, path),
        Request::GetAllChildrenNumber { path } => put_ustring(out, path),
        Request::SetAcl { path, acl, version } => {
            put_ustring(out, path);
            put_acl_list(out, acl);
            put_i32(out, *version);
        }
        Request::Multi(ops) => encode_multi(ops, out),
        Request::MultiRead(ops) => encode_multi_read(ops, out),
        Request::Reconfig {
            joining,
            leaving,
            new_members,
            cur_config_id,
        } => {
            put_opt_ustring(out, joining.as_deref());
            put_opt_ustring(out, leaving.as_deref());
            put_opt_ustring(out, new_members.as_deref());
            put_i64(out, *cur_config_id);
        }
        Request::CheckWatches { path, kind: mode }
        | Request::RemoveWatches { path, kind: mode }
        | Request::AddWatch { path, mode } => {
            put_ustring(out, path);
            put_i32(out, *mode);
        }
        Request::Auth {
            auth_type,
            scheme,
            auth,
        } => {
            put_i32(out, *auth_type);
            put_ustring(out, scheme);
            put_buffer(out, auth.as_deref());
        }
        Request::SetWatches(w) => encode_set_watches(w, out),
        Request::Sasl { token } => put_buffer(out, token.as_deref()),
        Request::GetEphemerals { prefix } => put_opt_ustring(out, prefix.as_deref()),
        Request::Ping
        | Request::WhoAmI
        | Request::CloseSession
        | Request::Unknown { .. }
        | Request::Malformed { .. } => {}
    }
}

fn encode_create(op: OpCode, req: &CreateRequest, ttl: Option<i64>, out: &mut Vec<u8>) {
    assert!(op.is_create(), "create request with opcode {op}");
    assert_eq!(
        op == OpCode::CreateTtl,
        ttl.is_some(),
        "ttl {ttl:?} does not match opcode {op}"
    );
    put_ustring(out, &req.path);
    put_buffer(out, req.data.as_deref());
    put_acl_list(out, &req.acl);
    put_i32(out, req.flags);
    if let Some(ttl) = ttl {
        put_i64(out, ttl);
    }
}

fn encode_set_data(path: &str, data: Option<&[u8]>, version: i32, out: &mut Vec<u8>) {
    put_ustring(out, path);
    put_buffer(out, data);
    put_i32(out, version);
}

/// `MultiHeader{int type, bool done, int err}`.
pub(super) fn put_multi_header(out: &mut Vec<u8>, op: i32, done: bool, err: i32) {
    put_i32(out, op);
    put_bool(out, done);
    put_i32(out, err);
}

fn encode_multi(ops: &[MultiOp], out: &mut Vec<u8>) {
    for op in ops {
        match op {
            MultiOp::Create { op, req, ttl } => {
                put_multi_header(out, op.code(), false, -1);
                encode_create(*op, req, *ttl, out);
            }
            MultiOp::Delete { path, version } | MultiOp::Check { path, version } => {
                put_multi_header(out, op.op().code(), false, -1);
                put_ustring(out, path);
                put_i32(out, *version);
            }
            MultiOp::SetData {
                path,
                data,
                version,
            } => {
                put_multi_header(out, OpCode::SetData.code(), false, -1);
                encode_set_data(path, data.as_deref(), *version, out);
            }
        }
    }
    put_multi_header(out, -1, true, -1);
}

fn encode_multi_read(ops: &[ReadOp], out: &mut Vec<u8>) {
    for op in ops {
        let (ReadOp::GetChildren { path, watch } | ReadOp::GetData { path, watch }) = op;
        put_multi_header(out, op.op().code(), false, -1);
        put_ustring(out, path);
        put_bool(out, *watch);
    }
    put_multi_header(out, -1, true, -1);
}

fn encode_set_watches(w: &SetWatches, out: &mut Vec<u8>) {
    put_i64(out, w.relative_zxid);
    put_strings(out, &w.data);
    put_strings(out, &w.exist);
    put_strings(out, &w.child);
    match w.op {
        OpCode::SetWatches => assert!(
            w.persistent.is_empty() && w.persistent_recursive.is_empty(),
            "setWatches (101) cannot carry persistent watches"
        ),
        OpCode::SetWatches2 => {
            put_strings(out, &w.persistent);
            put_strings(out, &w.persistent_recursive);
        }
        other => panic!("SetWatches with opcode {other}"),
    }
}
