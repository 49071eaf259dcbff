//! Client requests (zookeeper-protocol.md §3–5, §8.4): `RequestHeader` + one record per opcode.
//!
//! Null handling on decode: a null `ustring` reads as `""` where the model holds a `String` (paths,
//! schemes), which every path check rejects as Java rejects a null path; it stays `None` where the
//! protocol gives null a meaning (reconfig's server lists, getEphemerals' prefix). Null vectors read
//! as empty (Java treats a null ACL list like an empty one: INVALIDACL). Null buffers stay `None`.
//!
//! Trailing bytes after a request record are ignored, as Java's server does.

use bytes::Bytes;

use super::opcode::OpCode;
use super::records::Acl;
use super::wire::{
    put_acl_list, put_bool, put_buffer, put_i32, put_i64, put_opt_ustring, put_strings,
    put_ustring, DecodeError, Reader,
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
    /// A known opcode whose record did not parse, or a multi mixing reads and writes. The server
    /// answers MARSHALLINGERROR.
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
                let code = if matches!(op, MultiOp::Delete { .. }) {
                    OpCode::Delete
                } else {
                    OpCode::Check
                };
                put_multi_header(out, code.code(), false, -1);
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
        let (code, path, watch) = match op {
            ReadOp::GetChildren { path, watch } => (OpCode::GetChildren, path, watch),
            ReadOp::GetData { path, watch } => (OpCode::GetData, path, watch),
        };
        put_multi_header(out, code.code(), false, -1);
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

// ---------------------------------------------------------------------------------------------
// Decoding

/// Decodes one request payload (a frame without its length).
///
/// A body that fails to parse gives `Ok((hdr, Request::Malformed{op}))`; an undefined or
/// non-request opcode gives `Request::Unknown`. Trailing bytes are ignored.
///
/// # Errors
/// Only when the 8-byte header itself is truncated.
pub fn decode_request(payload: &[u8]) -> Result<(RequestHeader, Request), DecodeError> {
    let mut r = Reader::new(payload);
    let hdr = RequestHeader {
        xid: Xid(r.i32("RequestHeader.xid")?),
        op: r.i32("RequestHeader.type")?,
    };
    let req = decode_body(hdr.op, &mut r).unwrap_or(Request::Malformed { op: hdr.op });
    Ok((hdr, req))
}

/// Decodes a request record for opcode `op` from `body` (the payload after the header), with the
/// reason when it fails; [`decode_request`] turns that failure into [`Request::Malformed`].
///
/// # Errors
/// When the record does not parse, or a multi holds an op it may not hold.
pub fn decode_request_body(op: i32, body: &[u8]) -> Result<Request, DecodeError> {
    decode_body(op, &mut Reader::new(body))
}

fn decode_body(op: i32, r: &mut Reader<'_>) -> Result<Request, DecodeError> {
    let Some(code) = OpCode::from_code(op).filter(|c| c.is_client_request()) else {
        return Ok(Request::Unknown { op });
    };
    Ok(match code {
        OpCode::Create | OpCode::Create2 | OpCode::CreateContainer | OpCode::CreateTtl => {
            let (req, ttl) = decode_create(code, r)?;
            Request::Create { op: code, req, ttl }
        }
        OpCode::Delete => Request::Delete {
            path: r.ustring("DeleteRequest.path")?,
            version: r.i32("DeleteRequest.version")?,
        },
        OpCode::Check => Request::Check {
            path: r.ustring("CheckVersionRequest.path")?,
            version: r.i32("CheckVersionRequest.version")?,
        },
        OpCode::Exists | OpCode::GetData | OpCode::GetChildren | OpCode::GetChildren2 => {
            decode_path_watch(code, r)?
        }
        OpCode::SetData => Request::SetData {
            path: r.ustring("SetDataRequest.path")?,
            data: r.opt_bytes("SetDataRequest.data")?,
            version: r.i32("SetDataRequest.version")?,
        },
        OpCode::GetAcl => Request::GetAcl {
            path: r.ustring("GetACLRequest.path")?,
        },
        OpCode::SetAcl => Request::SetAcl {
            path: r.ustring("SetACLRequest.path")?,
            acl: r.acl_list("SetACLRequest.acl")?,
            version: r.i32("SetACLRequest.version")?,
        },
        OpCode::Sync => Request::Sync {
            path: r.ustring("SyncRequest.path")?,
        },
        OpCode::Multi => Request::Multi(decode_multi(r)?),
        OpCode::MultiRead => Request::MultiRead(decode_multi_read(r)?),
        _ => decode_body_rest(code, r)?,
    })
}

/// The opcodes past the core reads and writes.
fn decode_body_rest(code: OpCode, r: &mut Reader<'_>) -> Result<Request, DecodeError> {
    Ok(match code {
        OpCode::Reconfig => Request::Reconfig {
            joining: r.opt_ustring("ReconfigRequest.joiningServers")?,
            leaving: r.opt_ustring("ReconfigRequest.leavingServers")?,
            new_members: r.opt_ustring("ReconfigRequest.newMembers")?,
            cur_config_id: r.i64("ReconfigRequest.curConfigId")?,
        },
        OpCode::CheckWatches => Request::CheckWatches {
            path: r.ustring("CheckWatchesRequest.path")?,
            kind: r.i32("CheckWatchesRequest.type")?,
        },
        OpCode::RemoveWatches => Request::RemoveWatches {
            path: r.ustring("RemoveWatchesRequest.path")?,
            kind: r.i32("RemoveWatchesRequest.type")?,
        },
        OpCode::AddWatch => Request::AddWatch {
            path: r.ustring("AddWatchRequest.path")?,
            mode: r.i32("AddWatchRequest.mode")?,
        },
        OpCode::Auth => Request::Auth {
            auth_type: r.i32("AuthPacket.type")?,
            scheme: r.ustring("AuthPacket.scheme")?,
            auth: r.opt_bytes("AuthPacket.auth")?,
        },
        OpCode::SetWatches | OpCode::SetWatches2 => {
            Request::SetWatches(decode_set_watches(code, r)?)
        }
        OpCode::Sasl => Request::Sasl {
            token: r.opt_bytes("GetSASLRequest.token")?,
        },
        OpCode::GetEphemerals => Request::GetEphemerals {
            prefix: r.opt_ustring("GetEphemeralsRequest.prefixPath")?,
        },
        OpCode::GetAllChildrenNumber => Request::GetAllChildrenNumber {
            path: r.ustring("GetAllChildrenNumberRequest.path")?,
        },
        OpCode::Ping => Request::Ping,
        OpCode::WhoAmI => Request::WhoAmI,
        OpCode::CloseSession => Request::CloseSession,
        other => unreachable!("decode_body handles {other} before decode_body_rest"),
    })
}

fn decode_path_watch(code: OpCode, r: &mut Reader<'_>) -> Result<Request, DecodeError> {
    let path = r.ustring("path")?;
    let watch = r.bool("watch")?;
    Ok(match code {
        OpCode::Exists => Request::Exists { path, watch },
        OpCode::GetData => Request::GetData { path, watch },
        OpCode::GetChildren => Request::GetChildren { path, watch },
        OpCode::GetChildren2 => Request::GetChildren2 { path, watch },
        other => unreachable!("{other} has no path+watch record"),
    })
}

fn decode_create(
    code: OpCode,
    r: &mut Reader<'_>,
) -> Result<(CreateRequest, Option<i64>), DecodeError> {
    let req = CreateRequest {
        path: r.ustring("CreateRequest.path")?,
        data: r.opt_bytes("CreateRequest.data")?,
        acl: r.acl_list("CreateRequest.acl")?,
        flags: r.i32("CreateRequest.flags")?,
    };
    let ttl = if code == OpCode::CreateTtl {
        Some(r.i64("CreateTTLRequest.ttl")?)
    } else {
        None
    };
    Ok((req, ttl))
}

/// Reads one `MultiHeader`; `None` at the end marker (done = true).
fn read_multi_header(r: &mut Reader<'_>) -> Result<Option<(i32, usize)>, DecodeError> {
    let offset = r.offset();
    let op = r.i32("MultiHeader.type")?;
    let done = r.bool("MultiHeader.done")?;
    let _err = r.i32("MultiHeader.err")?;
    Ok((!done).then_some((op, offset)))
}

fn decode_multi(r: &mut Reader<'_>) -> Result<Vec<MultiOp>, DecodeError> {
    let mut ops = Vec::new();
    while let Some((op, offset)) = read_multi_header(r)? {
        let code = OpCode::from_code(op);
        ops.push(match code {
            Some(
                c
                @ (OpCode::Create | OpCode::Create2 | OpCode::CreateContainer | OpCode::CreateTtl),
            ) => {
                let (req, ttl) = decode_create(c, r)?;
                MultiOp::Create { op: c, req, ttl }
            }
            Some(OpCode::Delete) => MultiOp::Delete {
                path: r.ustring("DeleteRequest.path")?,
                version: r.i32("DeleteRequest.version")?,
            },
            Some(OpCode::SetData) => MultiOp::SetData {
                path: r.ustring("SetDataRequest.path")?,
                data: r.opt_bytes("SetDataRequest.data")?,
                version: r.i32("SetDataRequest.version")?,
            },
            Some(OpCode::Check) => MultiOp::Check {
                path: r.ustring("CheckVersionRequest.path")?,
                version: r.i32("CheckVersionRequest.version")?,
            },
            _ => return Err(bad_multi_type(op, offset)),
        });
    }
    Ok(ops)
}

fn decode_multi_read(r: &mut Reader<'_>) -> Result<Vec<ReadOp>, DecodeError> {
    let mut ops = Vec::new();
    while let Some((op, offset)) = read_multi_header(r)? {
        let get_data = match OpCode::from_code(op) {
            Some(OpCode::GetChildren) => false,
            Some(OpCode::GetData) => true,
            _ => return Err(bad_multi_type(op, offset)),
        };
        let path = r.ustring("path")?;
        let watch = r.bool("watch")?;
        ops.push(if get_data {
            ReadOp::GetData { path, watch }
        } else {
            ReadOp::GetChildren { path, watch }
        });
    }
    Ok(ops)
}

const fn bad_multi_type(op: i32, offset: usize) -> DecodeError {
    DecodeError::InvalidValue {
        field: "MultiHeader.type",
        offset,
        value: op as i64,
    }
}

fn decode_set_watches(code: OpCode, r: &mut Reader<'_>) -> Result<SetWatches, DecodeError> {
    let relative_zxid = r.i64("SetWatches.relativeZxid")?;
    let data = r.strings("SetWatches.dataWatches")?;
    let exist = r.strings("SetWatches.existWatches")?;
    let child = r.strings("SetWatches.childWatches")?;
    let (persistent, persistent_recursive) = if code == OpCode::SetWatches2 {
        (
            r.strings("SetWatches2.persistentWatches")?,
            r.strings("SetWatches2.persistentRecursiveWatches")?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(SetWatches {
        op: code,
        relative_zxid,
        data,
        exist,
        child,
        persistent,
        persistent_recursive,
    })
}
