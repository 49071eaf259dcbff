//! ZooKeeper's error codes (`KeeperException.Code`), as data that travels inside replies.

use serde::{Deserialize, Serialize};

/// Every error code a server may send (zookeeper-protocol.md §6). OK (0) is not an error and has
/// no variant; the client-side-only codes are listed so decoders can name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[repr(i32)]
pub enum ZkError {
    /// -1: range marker; also the type code of an error result in multi.
    SystemError = -1,
    /// -2: a multi op after the failing one.
    RuntimeInconsistency = -2,
    /// -3
    DataInconsistency = -3,
    /// -4: client side only.
    ConnectionLoss = -4,
    /// -5: an unparsable request record.
    MarshallingError = -5,
    /// -6: an unknown or unsupported operation.
    Unimplemented = -6,
    /// -7: client side only.
    OperationTimeout = -7,
    /// -8
    BadArguments = -8,
    /// -12: internal.
    UnknownSession = -12,
    /// -13
    NewConfigNoQuorum = -13,
    /// -14
    ReconfigInProgress = -14,
    /// -100: range marker.
    ApiError = -100,
    /// -101
    NoNode = -101,
    /// -102
    NoAuth = -102,
    /// -103
    BadVersion = -103,
    /// -108
    NoChildrenForEphemerals = -108,
    /// -110
    NodeExists = -110,
    /// -111
    NotEmpty = -111,
    /// -112
    SessionExpired = -112,
    /// -113: client side only.
    InvalidCallback = -113,
    /// -114
    InvalidAcl = -114,
    /// -115
    AuthFailed = -115,
    /// -118
    SessionMoved = -118,
    /// -119
    NotReadOnly = -119,
    /// -120
    EphemeralOnLocalSession = -120,
    /// -121
    NoWatcher = -121,
    /// -122: client side only.
    RequestTimeout = -122,
    /// -123
    ReconfigDisabled = -123,
    /// -124
    SessionClosedRequireSaslAuth = -124,
    /// -125
    QuotaExceeded = -125,
    /// -127
    ThrottledOp = -127,
}

impl ZkError {
    /// Every variant, in code order from -1 downwards.
    pub const ALL: [Self; 31] = [
        Self::SystemError,
        Self::RuntimeInconsistency,
        Self::DataInconsistency,
        Self::ConnectionLoss,
        Self::MarshallingError,
        Self::Unimplemented,
        Self::OperationTimeout,
        Self::BadArguments,
        Self::UnknownSession,
        Self::NewConfigNoQuorum,
        Self::ReconfigInProgress,
        Self::ApiError,
        Self::NoNode,
        Self::NoAuth,
        Self::BadVersion,
        Self::NoChildrenForEphemerals,
        Self::NodeExists,
        Self::NotEmpty,
        Self::SessionExpired,
        Self::InvalidCallback,
        Self::InvalidAcl,
        Self::AuthFailed,
        Self::SessionMoved,
        Self::NotReadOnly,
        Self::EphemeralOnLocalSession,
        Self::NoWatcher,
        Self::RequestTimeout,
        Self::ReconfigDisabled,
        Self::SessionClosedRequireSaslAuth,
        Self::QuotaExceeded,
        Self::ThrottledOp,
    ];

    /// The wire code.
    #[must_use]
    pub const fn code(self) -> i32 {
        self as i32
    }

    /// The error for a wire code; `None` for 0 (OK) and for codes ZooKeeper does not define.
    #[must_use]
    pub fn from_code(code: i32) -> Option<Self> {
        Self::ALL.iter().copied().find(|e| e.code() == code)
    }
}

impl std::fmt::Display for ZkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?} ({})", self.code())
    }
}

impl std::error::Error for ZkError {}

#[cfg(test)]
mod tests {
    use super::ZkError;

    #[test]
    fn codes_round_trip_and_ok_is_not_an_error() {
        for e in ZkError::ALL {
            assert_eq!(ZkError::from_code(e.code()), Some(e));
        }
        assert_eq!(ZkError::from_code(0), None);
        assert_eq!(ZkError::from_code(-9), None);
        assert_eq!(ZkError::NoNode.code(), -101);
    }
}
