//! The CLI's commands as a clap `Subcommand` enum, shared by one-shot use
//! (`zoorepl -s host:port get /a`) and the interactive shell, plus zkCli's usage lines.

use clap::{Parser, Subcommand, ValueEnum};

/// One ZooKeeper CLI command, spelled as in zkCli.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// List the children of a znode (`-R`: the whole subtree, one path a line).
    Ls {
        /// Print the znode's stat after the children.
        #[arg(short = 's')]
        stat: bool,
        /// Walk the subtree depth first.
        #[arg(short = 'R')]
        recursive: bool,
        /// Leave a child watch.
        #[arg(short = 'w')]
        watch: bool,
        /// Znode path.
        path: String,
    },
    /// Print a znode's data.
    Get {
        /// Print the stat after the data.
        #[arg(short = 's')]
        stat: bool,
        /// Leave a data watch.
        #[arg(short = 'w')]
        watch: bool,
        /// Znode path.
        path: String,
    },
    /// Set a znode's data.
    Set {
        /// Print the new stat.
        #[arg(short = 's')]
        stat: bool,
        /// Expected data version.
        #[arg(short = 'v', allow_negative_numbers = true)]
        version: Option<i32>,
        /// Znode path.
        path: String,
        /// New data (UTF-8 text).
        #[arg(allow_hyphen_values = true)]
        data: String,
    },
    /// Create a znode.
    Create {
        /// Ephemeral.
        #[arg(short = 'e')]
        ephemeral: bool,
        /// Sequential.
        #[arg(short = 's')]
        sequential: bool,
        /// Container.
        #[arg(short = 'c')]
        container: bool,
        /// Time to live in milliseconds (persistent znodes only).
        #[arg(short = 't')]
        ttl: Option<u64>,
        /// Znode path.
        path: String,
        /// Data (UTF-8 text).
        #[arg(allow_hyphen_values = true)]
        data: Option<String>,
        /// ACL, `scheme:id:perms[,...]`; default `world:anyone:cdrwa`.
        acl: Option<String>,
    },
    /// Delete a znode.
    Delete {
        /// Expected data version.
        #[arg(short = 'v', allow_negative_numbers = true)]
        version: Option<i32>,
        /// Znode path.
        path: String,
    },
    /// Delete a znode and all its descendants.
    Deleteall {
        /// Znode path.
        path: String,
    },
    /// Print a znode's stat.
    Stat {
        /// Leave an exists watch (also on a missing znode).
        #[arg(short = 'w')]
        watch: bool,
        /// Znode path.
        path: String,
    },
    /// Print a znode's ACL.
    #[command(name = "getAcl")]
    GetAcl {
        /// Print the stat after the ACL.
        #[arg(short = 's')]
        stat: bool,
        /// Znode path.
        path: String,
    },
    /// Replace a znode's ACL.
    #[command(name = "setAcl")]
    SetAcl {
        /// Print the new stat.
        #[arg(short = 's')]
        stat: bool,
        /// Expected ACL version.
        #[arg(short = 'v', allow_negative_numbers = true)]
        version: Option<i32>,
        /// Znode path.
        path: String,
        /// ACL, `scheme:id:perms[,...]`.
        acl: String,
    },
    /// Add authentication to the session, e.g. `addauth digest user:pass`.
    Addauth {
        /// Auth scheme.
        scheme: String,
        /// Auth data.
        auth: String,
    },
    /// Wait until the server is up to date with the leader for `path`.
    Sync {
        /// Znode path.
        path: String,
    },
    /// Add a persistent watch.
    #[command(name = "addWatch")]
    AddWatch {
        /// Watch mode.
        #[arg(short = 'm', value_enum, default_value = "PERSISTENT_RECURSIVE")]
        mode: WatchMode,
        /// Znode path.
        path: String,
    },
    /// List the session's ephemeral znodes under a path (default `/`).
    #[command(name = "getEphemerals")]
    GetEphemerals {
        /// Path prefix.
        path: Option<String>,
    },
    /// Print the number of descendants of a znode.
    #[command(name = "getAllChildrenNumber")]
    GetAllChildrenNumber {
        /// Znode path.
        path: String,
    },
    /// Print the session's authenticated identities.
    Whoami,
    /// Close the session (the shell reconnects on `connect`).
    Close,
    /// Connect again, to the same server or to `host:port`.
    Connect {
        /// Server, `host:port`.
        server: Option<String>,
    },
    /// Leave the shell.
    Quit,
}

/// The modes of `addWatch -m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WatchMode {
    /// Data, child and exists events of the znode itself.
    #[value(name = "PERSISTENT")]
    Persistent,
    /// Data, exists and delete events of the znode and all its descendants.
    #[value(name = "PERSISTENT_RECURSIVE")]
    PersistentRecursive,
}

/// A shell line, parsed with the same derive as the one-shot subcommands.
#[derive(Debug, Parser)]
#[command(no_binary_name = true, disable_help_subcommand = true)]
struct Line {
    #[command(subcommand)]
    command: Command,
}

/// Why a shell line did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// The first word names no command.
    UnknownCommand(String),
    /// A known command with bad arguments: carries its usage line.
    Usage(&'static str),
}

impl Command {
    /// Parses one shell line's words (`words[0]` is the command name).
    pub fn parse_words(words: &[String]) -> Result<Self, ParseError> {
        let name = words.first().map_or("", String::as_str);
        let Some(usage) = usage(name) else {
            return Err(ParseError::UnknownCommand(name.to_string()));
        };
        Line::try_parse_from(words)
            .map(|line| line.command)
            .map_err(|_| ParseError::Usage(usage))
    }

    /// The path a command acts on, for error messages.
    pub fn path(&self) -> &str {
        match self {
            Self::Ls { path, .. }
            | Self::Get { path, .. }
            | Self::Set { path, .. }
            | Self::Create { path, .. }
            | Self::Delete { path, .. }
            | Self::Deleteall { path }
            | Self::Stat { path, .. }
            | Self::GetAcl { path, .. }
            | Self::SetAcl { path, .. }
            | Self::Sync { path }
            | Self::AddWatch { path, .. }
            | Self::GetAllChildrenNumber { path } => path,
            Self::GetEphemerals { path } => path.as_deref().unwrap_or("/"),
            Self::Addauth { .. }
            | Self::Whoami
            | Self::Close
            | Self::Connect { .. }
            | Self::Quit => "null",
        }
    }
}

/// zkCli's usage lines, by command name.
pub(crate) const USAGE: [(&str, &str); 18] = [
    ("addWatch", "addWatch [-m mode] path # optional mode is one of [PERSISTENT, PERSISTENT_RECURSIVE] - default is PERSISTENT_RECURSIVE"),
    ("addauth", "addauth scheme auth"),
    ("close", "close "),
    ("connect", "connect host:port"),
    ("create", "create [-s] [-e] [-c] [-t ttl] path [data] [acl]"),
    ("delete", "delete [-v version] path"),
    ("deleteall", "deleteall path"),
    ("get", "get [-s] [-w] path"),
    ("getAcl", "getAcl [-s] path"),
    ("getAllChildrenNumber", "getAllChildrenNumber path"),
    ("getEphemerals", "getEphemerals path"),
    ("ls", "ls [-s] [-w] [-R] path"),
    ("quit", "quit "),
    ("set", "set [-s] [-v version] path data"),
    ("setAcl", "setAcl [-s] [-v version] path acl"),
    ("stat", "stat [-w] path"),
    ("sync", "sync path"),
    ("whoami", "whoami "),
];

/// The usage line of a command, or `None` for an unknown name.
pub fn usage(name: &str) -> Option<&'static str> {
    USAGE.iter().find(|(n, _)| *n == name).map(|(_, u)| *u)
}

/// The whole usage text zkCli prints for an unknown command or `help`.
pub fn full_usage() -> String {
    let mut text = String::from("ZooKeeper -server host:port cmd args\n");
    for (_, line) in USAGE {
        text.push('\t');
        text.push_str(line);
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Command, ParseError> {
        Command::parse_words(&crate::cli::format::tokenize(line))
    }

    #[test]
    fn parses_flags_and_optional_args() {
        assert_eq!(
            parse("ls -s -R /a").expect("ls"),
            Command::Ls {
                stat: true,
                recursive: true,
                watch: false,
                path: "/a".into()
            }
        );
        assert_eq!(
            parse("create -e -s -t 500 /a/b 'x y' world:anyone:r").expect("create"),
            Command::Create {
                ephemeral: true,
                sequential: true,
                container: false,
                ttl: Some(500),
                path: "/a/b".into(),
                data: Some("x y".into()),
                acl: Some("world:anyone:r".into()),
            }
        );
        assert_eq!(
            parse("set -v 3 /a -1").expect("set"),
            Command::Set {
                stat: false,
                version: Some(3),
                path: "/a".into(),
                data: "-1".into()
            }
        );
        assert_eq!(
            parse("addWatch /a").expect("addWatch"),
            Command::AddWatch {
                mode: WatchMode::PersistentRecursive,
                path: "/a".into()
            }
        );
        assert_eq!(
            parse("addWatch -m PERSISTENT /a").expect("addWatch").path(),
            "/a"
        );
        assert_eq!(parse("getEphemerals").expect("getEphemerals").path(), "/");
        assert_eq!(parse("whoami").expect("whoami"), Command::Whoami);
    }

    #[test]
    fn reports_usage_and_unknown_commands() {
        assert_eq!(parse("get"), Err(ParseError::Usage("get [-s] [-w] path")));
        assert_eq!(
            parse("set /a"),
            Err(ParseError::Usage("set [-s] [-v version] path data"))
        );
        assert_eq!(
            parse("delete -v x /a"),
            Err(ParseError::Usage("delete [-v version] path"))
        );
        assert_eq!(parse("addWatch -m BOGUS /a").map_err(|_| ()), Err(()));
        assert_eq!(
            parse("bogus cmd"),
            Err(ParseError::UnknownCommand("bogus".into()))
        );
        assert!(full_usage().contains("\tstat [-w] path\n"));
    }
}
