//! Replies (zookeeper-protocol.md §3–5): `ReplyHeader` + the response record, the latter only when
//! `err == 0`. Decoding a reply needs the opcode of the request it answers.

use bytes::Bytes;

use super::error::ZkError;
use super::opcode::OpCode;
use super::records::{Acl, Stat};
use super::request::put_multi_header;
use super::wire::{
    put_acl_list, put_buffer, put_i32, put_i64, put_stat, put_strings, put_ustring, DecodeError,
    Reader, STAT_LEN, USTRING_MIN_LEN,
};
use crate::ids::Xid;

/// `ReplyHeader{int xid, long zxid, int err}` (16 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ReplyHeader {
    /// The request's xid (-1 notification, -2 ping, -4 auth, -8 setWatches).
    pub xid: Xid,
    /// The server's last processed zxid at reply time.
    pub zxid: i64,
    /// 0 or a [`super::ZkError`] code.
    pub err: i32,
}

/// Wire size of a [`ReplyHeader`].
pub const REPLY_HEADER_LEN: usize = 16;

impl ReplyHeader {
    /// Appends the 16-byte header.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_i32(out, self.xid.0);
        put_i64(out, self.zxid);
        put_i32(out, self.err);
    }

    /// Reads the header at the start of a reply payload (to route it by xid before choosing the
    /// opcode for [`decode_reply`]).
    ///
    /// # Errors
    /// When fewer than 16 bytes are given.
    pub fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        read_reply_header(&mut Reader::new(payload))
    }
}

/// `ClientInfo{ustring authScheme, ustring user}` (whoAmI).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientInfo {
    /// The auth scheme (`ip`, `digest`, `super`, ...).
    pub auth_scheme: String,
    /// The id within it.
    pub user: String,
}

/// One result of a multi (14).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MultiResult {
    /// type 1: `CreateResponse{path}`.
    Create {
        /// The created path.
        path: String,
    },
    /// type 15 (create2, createTTL, createContainer): `Create2Response{path, Stat}`.
    Create2 {
        /// The created path.
        path: String,
        /// Its Stat.
        stat: Stat,
    },
    /// type 2, no body.
    Delete,
    /// type 5: `SetDataResponse{Stat}`.
    SetData {
        /// The new Stat.
        stat: Stat,
    },
    /// type 13, no body.
    Check,
    /// type -1 with header err = `err`, body `ErrorResponse{err}`. In a failed multi, ops before
    /// the failing one carry 0, the failing one its code, later ones -2.
    Error {
        /// The code (possibly 0).
        err: i32,
    },
}

/// One result of a multiRead (22).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MultiReadResult {
    /// type 8: `GetChildrenResponse{children}`.
    GetChildren {
        /// Child names.
        children: Vec<String>,
    },
    /// type 4: `GetDataResponse{data, Stat}`.
    GetData {
        /// The data; `None` is null.
        data: Option<Bytes>,
        /// The Stat.
        stat: Stat,
    },
    /// type -1, `ErrorResponse{err}`.
    Error {
        /// The code.
        err: i32,
    },
}

/// A reply body, one variant per response record. Encoding needs only the variant; decoding needs
/// the request's opcode.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Response {
    /// create (1): `CreateResponse{path}`.
    Create {
        /// The created path (with any sequential suffix).
        path: String,
    },
    /// create2 (15), createContainer (19), createTTL (21): `Create2Response{path, Stat}`.
    Create2 {
        /// The created path.
        path: String,
        /// Its Stat.
        stat: Stat,
    },
    /// exists (3).
    Exists {
        /// The Stat.
        stat: Stat,
    },
    /// getData (4).
    GetData {
        /// The data; `None` is null.
        data: Option<Bytes>,
        /// The Stat.
        stat: Stat,
    },
    /// setData (5).
    SetData {
        /// The new Stat.
        stat: Stat,
    },
    /// getACL (6).
    GetAcl {
        /// The ACL.
        acl: Vec<Acl>,
        /// The Stat.
        stat: Stat,
    },
    /// setACL (7).
    SetAcl {
        /// The new Stat.
        stat: Stat,
    },
    /// getChildren (8).
    GetChildren {
        /// Child names.
        children: Vec<String>,
    },
    /// getChildren2 (12).
    GetChildren2 {
        /// Child names.
        children: Vec<String>,
        /// The parent's Stat.
        stat: Stat,
    },
    /// sync (9).
    Sync {
        /// The path, echoed.
        path: String,
    },
    /// multi (14).
    Multi(Vec<MultiResult>),
    /// multiRead (22).
    MultiRead(Vec<MultiReadResult>),
    /// reconfig (16): a `GetDataResponse` of `/zookeeper/config`.
    Reconfig {
        /// The new config.
        data: Option<Bytes>,
        /// The Stat of `/zookeeper/config`.
        stat: Stat,
    },
    /// getEphemerals (103).
    GetEphemerals {
        /// The session's ephemeral paths.
        paths: Vec<String>,
    },
    /// getAllChildrenNumber (104).
    AllChildrenNumber {
        /// The number of descendants.
        count: i32,
    },
    /// addWatch (106): the 4-byte `ErrorResponse{0}`.
    AddWatch,
    /// whoAmI (107).
    WhoAmI {
        /// One entry per auth id.
        clients: Vec<ClientInfo>,
    },
    /// sasl (102): `SetSASLResponse{token}`.
    Sasl {
        /// The token; may be null.
        token: Option<Bytes>,
    },
    /// No body: delete, ping, closeSession, setWatches, auth, checkWatches, removeWatches, and
    /// every reply with `err != 0`.
    Empty,
}

// ---------------------------------------------------------------------------------------------
// Encoding

/// Appends a reply payload (no frame): the header, then `body` only when `hdr.err == 0`.
pub fn encode_reply(hdr: &ReplyHeader, body: &Response, out: &mut Vec<u8>) {
    hdr.encode(out);
    if hdr.err == 0 {
        encode_response_body(body, out);
    }
}

/// Appends a reply payload for an outcome as the core reports it: `Ok(body)` is sent with err 0,
/// `Err(e)` as a bare header carrying `e`'s code.
pub fn encode_reply_result(
    xid: Xid,
    zxid: i64,
    result: &Result<Response, ZkError>,
    out: &mut Vec<u8>,
) {
    match result {
        Ok(body) => encode_reply(&ReplyHeader { xid, zxid, err: 0 }, body, out),
        Err(e) => ReplyHeader {
            xid,
            zxid,
            err: e.code(),
        }
        .encode(out),
    }
}

fn encode_response_body(body: &Response, out: &mut Vec<u8>) {
    match body {
        Response::Create { path } | Response::Sync { path } => put_ustring(out, path),
        Response::Create2 { path, stat } => {
            put_ustring(out, path);
            put_stat(out, stat);
        }
        Response::Exists { stat } | Response::SetData { stat } | Response::SetAcl { stat } => {
            put_stat(out, stat);
        }
        Response::GetData { data, stat } | Response::Reconfig { data, stat } => {
            put_buffer(out, data.as_deref());
            put_stat(out, stat);
        }
        Response::GetAcl { acl, stat } => {
            put_acl_list(out, acl);
            put_stat(out, stat);
        }
        Response::GetChildren { children } | Response::GetEphemerals { paths: children } => {
            put_strings(out, children);
        }
        Response::GetChildren2 { children, stat } => {
            put_strings(out, children);
            put_stat(out, stat);
        }
        Response::Multi(results) => encode_multi_results(results, out),
        Response::MultiRead(results) => encode_multi_read_results(results, out),
        Response::AllChildrenNumber { count } => put_i32(out, *count),
        Response::AddWatch => put_i32(out, 0),
        Response::WhoAmI { clients } => {
            put_i32(
                out,
                i32::try_from(clients.len()).expect("whoAmI list exceeds i32"),
            );
            for c in clients {
                put_ustring(out, &c.auth_scheme);
                put_ustring(out, &c.user);
            }
        }
        Response::Sasl { token } => put_buffer(out, token.as_deref()),
        Response::Empty => {}
    }
}

fn encode_multi_results(results: &[MultiResult], out: &mut Vec<u8>) {
    for res in results {
        match res {
            MultiResult::Create { path } => {
                put_multi_header(out, OpCode::Create.code(), false, 0);
                put_ustring(out, path);
            }
            MultiResult::Create2 { path, stat } => {
                put_multi_header(out, OpCode::Create2.code(), false, 0);
                put_ustring(out, path);
                put_stat(out, stat);
            }
            MultiResult::Delete => put_multi_header(out, OpCode::Delete.code(), false, 0),
            MultiResult::Check => put_multi_header(out, OpCode::Check.code(), false, 0),
            MultiResult::SetData { stat } => {
                put_multi_header(out, OpCode::SetData.code(), false, 0);
                put_stat(out, stat);
            }
            MultiResult::Error { err } => put_error_result(out, *err),
        }
    }
    put_multi_header(out, -1, true, -1);
}

fn encode_multi_read_results(results: &[MultiReadResult], out: &mut Vec<u8>) {
    for res in results {
        match res {
            MultiReadResult::GetChildren { children } => {
                put_multi_header(out, OpCode::GetChildren.code(), false, 0);
                put_strings(out, children);
            }
            MultiReadResult::GetData { data, stat } => {
                put_multi_header(out, OpCode::GetData.code(), false, 0);
                put_buffer(out, data.as_deref());
                put_stat(out, stat);
            }
            MultiReadResult::Error { err } => put_error_result(out, *err),
        }
    }
    put_multi_header(out, -1, true, -1);
}

/// An error result: `MultiHeader{-1, false, err}` + `ErrorResponse{err}`.
fn put_error_result(out: &mut Vec<u8>, err: i32) {
    put_multi_header(out, OpCode::Error.code(), false, err);
    put_i32(out, err);
}

// ---------------------------------------------------------------------------------------------
// Decoding

pub(super) fn read_reply_header(r: &mut Reader<'_>) -> Result<ReplyHeader, DecodeError> {
    Ok(ReplyHeader {
        xid: Xid(r.i32("ReplyHeader.xid")?),
        zxid: r.i64("ReplyHeader.zxid")?,
        err: r.i32("ReplyHeader.err")?,
    })
}

/// Decodes a reply payload to a request of opcode `op`. With `err != 0` the body is
/// [`Response::Empty`] and whatever follows the header is ignored (clients skip it); with
/// `err == 0` the record must fill the payload exactly.
///
/// Opcodes that never get a successful body (notification, error, createSession,
/// deleteContainer, and the body-less ones) decode to [`Response::Empty`].
///
/// # Errors
/// A truncated header or record, trailing bytes, or a multi result type not allowed for `op`.
pub fn decode_reply(op: OpCode, payload: &[u8]) -> Result<(ReplyHeader, Response), DecodeError> {
    let mut r = Reader::new(payload);
    let hdr = read_reply_header(&mut r)?;
    if hdr.err != 0 {
        return Ok((hdr, Response::Empty));
    }
    let body = decode_response_body(op, &mut r)?;
    r.finish("reply body")?;
    Ok((hdr, body))
}

fn decode_response_body(op: OpCode, r: &mut Reader<'_>) -> Result<Response, DecodeError> {
    Ok(match op {
        OpCode::Create => Response::Create {
            path: r.ustring("CreateResponse.path")?,
        },
        OpCode::Create2 | OpCode::CreateContainer | OpCode::CreateTtl => Response::Create2 {
            path: r.ustring("Create2Response.path")?,
            stat: r.stat()?,
        },
        OpCode::Exists => Response::Exists { stat: r.stat()? },
        OpCode::GetData => Response::GetData {
            data: r.opt_bytes("GetDataResponse.data")?,
            stat: r.stat()?,
        },
        OpCode::Reconfig => Response::Reconfig {
            data: r.opt_bytes("GetDataResponse.data")?,
            stat: r.stat()?,
        },
        OpCode::SetData => Response::SetData { stat: r.stat()? },
        OpCode::SetAcl => Response::SetAcl { stat: r.stat()? },
        OpCode::GetAcl => Response::GetAcl {
            acl: r.acl_list("GetACLResponse.acl")?,
            stat: r.stat()?,
        },
        OpCode::GetChildren => Response::GetChildren {
            children: r.strings("GetChildrenResponse.children")?,
        },
        OpCode::GetChildren2 => Response::GetChildren2 {
            children: r.strings("GetChildren2Response.children")?,
            stat: r.stat()?,
        },
        OpCode::Sync => Response::Sync {
            path: r.ustring("SyncResponse.path")?,
        },
        OpCode::Multi => Response::Multi(decode_multi_results(r)?),
        OpCode::MultiRead => Response::MultiRead(decode_multi_read_results(r)?),
        _ => decode_response_body_rest(op, r)?,
    })
}

fn decode_response_body_rest(op: OpCode, r: &mut Reader<'_>) -> Result<Response, DecodeError> {
    Ok(match op {
        OpCode::GetEphemerals => Response::GetEphemerals {
            paths: r.strings("GetEphemeralsResponse.ephemerals")?,
        },
        OpCode::GetAllChildrenNumber => Response::AllChildrenNumber {
            count: r.i32("GetAllChildrenNumberResponse.totalNumber")?,
        },
        OpCode::AddWatch => {
            let _zero = r.i32("ErrorResponse.err")?;
            Response::AddWatch
        }
        OpCode::WhoAmI => Response::WhoAmI {
            clients: r.vec("WhoAmIResponse.clientInfo", 2 * USTRING_MIN_LEN, |r| {
                Ok(ClientInfo {
                    auth_scheme: r.ustring("ClientInfo.authScheme")?,
                    user: r.ustring("ClientInfo.user")?,
                })
            })?,
        },
        OpCode::Sasl => Response::Sasl {
            token: r.opt_bytes("SetSASLResponse.token")?,
        },
        _ => Response::Empty,
    })
}

/// Reads a result's `MultiHeader`: `None` at the end marker, else (type, err, offset).
fn read_result_header(r: &mut Reader<'_>) -> Result<Option<(i32, i32, usize)>, DecodeError> {
    let offset = r.offset();
    let ty = r.i32("MultiHeader.type")?;
    let done = r.bool("MultiHeader.done")?;
    let err = r.i32("MultiHeader.err")?;
    Ok((!done).then_some((ty, err, offset)))
}

/// An error result's body. Java's client takes the code from the body, so do we.
fn read_error_body(r: &mut Reader<'_>) -> Result<i32, DecodeError> {
    r.i32("ErrorResponse.err")
}

fn decode_multi_results(r: &mut Reader<'_>) -> Result<Vec<MultiResult>, DecodeError> {
    let mut results = Vec::new();
    while let Some((ty, _err, offset)) = read_result_header(r)? {
        results.push(match OpCode::from_code(ty) {
            Some(OpCode::Create) => MultiResult::Create {
                path: r.ustring("CreateResponse.path")?,
            },
            Some(OpCode::Create2) => MultiResult::Create2 {
                path: r.ustring("Create2Response.path")?,
                stat: r.stat()?,
            },
            Some(OpCode::Delete) => MultiResult::Delete,
            Some(OpCode::Check) => MultiResult::Check,
            Some(OpCode::SetData) => MultiResult::SetData { stat: r.stat()? },
            Some(OpCode::Error) => MultiResult::Error {
                err: read_error_body(r)?,
            },
            _ => return Err(bad_result_type(ty, offset)),
        });
    }
    Ok(results)
}

fn decode_multi_read_results(r: &mut Reader<'_>) -> Result<Vec<MultiReadResult>, DecodeError> {
    let mut results = Vec::new();
    while let Some((ty, _err, offset)) = read_result_header(r)? {
        results.push(match OpCode::from_code(ty) {
            Some(OpCode::GetChildren) => MultiReadResult::GetChildren {
                children: r.strings("GetChildrenResponse.children")?,
            },
            Some(OpCode::GetData) => MultiReadResult::GetData {
                data: r.opt_bytes("GetDataResponse.data")?,
                stat: r.stat()?,
            },
            Some(OpCode::Error) => MultiReadResult::Error {
                err: read_error_body(r)?,
            },
            _ => return Err(bad_result_type(ty, offset)),
        });
    }
    Ok(results)
}

const fn bad_result_type(ty: i32, offset: usize) -> DecodeError {
    DecodeError::InvalidValue {
        field: "MultiHeader.type",
        offset,
        value: ty as i64,
    }
}

const _: () = assert!(STAT_LEN == 68, "Stat is 68 bytes on the wire (§3)");
