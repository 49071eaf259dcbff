//! Opcodes (`ZooDefs.OpCode`, zookeeper-protocol.md §4).

/// Every opcode of the client protocol, with its wire code. Some are never valid requests
/// (notification, createSession, error, deleteContainer); see [`OpCode::is_client_request`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(i32)]
pub enum OpCode {
    /// 0: watch notifications travel with this type; never a request.
    Notification = 0,
    /// 1
    Create = 1,
    /// 2
    Delete = 2,
    /// 3
    Exists = 3,
    /// 4
    GetData = 4,
    /// 5
    SetData = 5,
    /// 6
    GetAcl = 6,
    /// 7
    SetAcl = 7,
    /// 8
    GetChildren = 8,
    /// 9
    Sync = 9,
    /// 11
    Ping = 11,
    /// 12
    GetChildren2 = 12,
    /// 13: only valid inside multi.
    Check = 13,
    /// 14
    Multi = 14,
    /// 15
    Create2 = 15,
    /// 16
    Reconfig = 16,
    /// 17
    CheckWatches = 17,
    /// 18
    RemoveWatches = 18,
    /// 19
    CreateContainer = 19,
    /// 20: internal (container reaper); never a client request.
    DeleteContainer = 20,
    /// 21
    CreateTtl = 21,
    /// 22
    MultiRead = 22,
    /// 100
    Auth = 100,
    /// 101
    SetWatches = 101,
    /// 102
    Sasl = 102,
    /// 103
    GetEphemerals = 103,
    /// 104
    GetAllChildrenNumber = 104,
    /// 105
    SetWatches2 = 105,
    /// 106
    AddWatch = 106,
    /// 107
    WhoAmI = 107,
    /// -10: internal txn type; sessions come from the ConnectRequest.
    CreateSession = -10,
    /// -11
    CloseSession = -11,
    /// -1: marks error results in multi; never a request.
    Error = -1,
}

impl OpCode {
    /// Every opcode.
    pub const ALL: [Self; 33] = [
        Self::Notification,
        Self::Create,
        Self::Delete,
        Self::Exists,
        Self::GetData,
        Self::SetData,
        Self::GetAcl,
        Self::SetAcl,
        Self::GetChildren,
        Self::Sync,
        Self::Ping,
        Self::GetChildren2,
        Self::Check,
        Self::Multi,
        Self::Create2,
        Self::Reconfig,
        Self::CheckWatches,
        Self::RemoveWatches,
        Self::CreateContainer,
        Self::DeleteContainer,
        Self::CreateTtl,
        Self::MultiRead,
        Self::Auth,
        Self::SetWatches,
        Self::Sasl,
        Self::GetEphemerals,
        Self::GetAllChildrenNumber,
        Self::SetWatches2,
        Self::AddWatch,
        Self::WhoAmI,
        Self::CreateSession,
        Self::CloseSession,
        Self::Error,
    ];

    /// The wire code.
    #[must_use]
    pub const fn code(self) -> i32 {
        self as i32
    }

    /// The opcode for a wire code; `None` for codes ZooKeeper does not define (10, 23, ...).
    #[must_use]
    pub const fn from_code(code: i32) -> Option<Self> {
        Some(match code {
            0 => Self::Notification,
            1 => Self::Create,
            2 => Self::Delete,
            3 => Self::Exists,
            4 => Self::GetData,
            5 => Self::SetData,
            6 => Self::GetAcl,
            7 => Self::SetAcl,
            8 => Self::GetChildren,
            9 => Self::Sync,
            11 => Self::Ping,
            12 => Self::GetChildren2,
            13 => Self::Check,
            14 => Self::Multi,
            15 => Self::Create2,
            16 => Self::Reconfig,
            17 => Self::CheckWatches,
            18 => Self::RemoveWatches,
            19 => Self::CreateContainer,
            20 => Self::DeleteContainer,
            21 => Self::CreateTtl,
            22 => Self::MultiRead,
            100 => Self::Auth,
            101 => Self::SetWatches,
            102 => Self::Sasl,
            103 => Self::GetEphemerals,
            104 => Self::GetAllChildrenNumber,
            105 => Self::SetWatches2,
            106 => Self::AddWatch,
            107 => Self::WhoAmI,
            -10 => Self::CreateSession,
            -11 => Self::CloseSession,
            -1 => Self::Error,
            _ => return None,
        })
    }

    /// Whether a client may send this opcode as a request (every opcode except notification,
    /// deleteContainer, createSession and error). `check` counts: it decodes, though alone it is
    /// answered UNIMPLEMENTED.
    #[must_use]
    pub const fn is_client_request(self) -> bool {
        !matches!(
            self,
            Self::Notification | Self::DeleteContainer | Self::CreateSession | Self::Error
        )
    }

    /// The create opcodes: create, create2, createContainer, createTTL.
    #[must_use]
    pub const fn is_create(self) -> bool {
        matches!(
            self,
            Self::Create | Self::Create2 | Self::CreateContainer | Self::CreateTtl
        )
    }
}

impl std::fmt::Display for OpCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?} ({})", self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::OpCode;

    #[test]
    fn codes_round_trip_and_gaps_are_unknown() {
        for op in OpCode::ALL {
            assert_eq!(OpCode::from_code(op.code()), Some(op));
        }
        for code in [10, 23, 99, 108, -2, -12, i32::MIN, i32::MAX] {
            assert_eq!(OpCode::from_code(code), None, "{code}");
        }
        let known = (-20..200)
            .filter(|c| OpCode::from_code(*c).is_some())
            .count();
        assert_eq!(known, OpCode::ALL.len());
    }
}
