//! Decoding client requests. Trailing bytes after a record are ignored, as Java's server does;
//! a record that fails to parse becomes [`Request::Malformed`] in [`decode_request`].

use super::opcode::OpCode;
use super::request::{CreateRequest, MultiOp, ReadOp, Request, RequestHeader, SetWatches};
use super::wire::{DecodeError, Reader};
use crate::ids::Xid;

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
    let (path_field, watch_field) = match code {
        OpCode::Exists => ("ExistsRequest.path", "ExistsRequest.watch"),
        OpCode::GetData => ("GetDataRequest.path", "GetDataRequest.watch"),
        _ => ("GetChildrenRequest.path", "GetChildrenRequest.watch"),
    };
    let path = r.ustring(path_field)?;
    let watch = r.bool(watch_field)?;
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
        let path = r.ustring("multiRead path")?;
        let watch = r.bool("multiRead watch")?;
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
