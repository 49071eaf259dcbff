//! What `zoo.cfg` parsing reports: errors that stop the server and warnings it logs.

use std::fmt;
use std::path::PathBuf;

/// Where a setting came from: the file (when loaded with `from_file`) and the line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    /// The configuration file, when the text was read from one.
    pub file: Option<PathBuf>,
    /// The 1-based line, when the problem belongs to one line.
    pub line: Option<u32>,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(f, "{}:{line}: ", file.display()),
            (Some(file), None) => write!(f, "{}: ", file.display()),
            (None, Some(line)) => write!(f, "line {line}: "),
            (None, None) => Ok(()),
        }
    }
}

/// A configuration the server cannot start with.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {}: {message}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        message: String,
    },
    /// A key with a bad value, or a required key that is missing.
    #[error("{origin}{key}: {}{problem}", value.as_ref().map(|v| format!("{v:?} ")).unwrap_or_default())]
    Invalid {
        /// File and line.
        origin: Origin,
        /// The zoo.cfg key.
        key: String,
        /// The value as written (after trimming), `None` for a missing key.
        value: Option<String>,
        /// What is wrong, in words.
        problem: String,
    },
}

impl ConfigError {
    /// The zoo.cfg key the error is about (`None` for a read error).
    #[must_use]
    pub fn key(&self) -> Option<&str> {
        match self {
            Self::Read { .. } => None,
            Self::Invalid { key, .. } => Some(key),
        }
    }

    /// Records the file name; parse errors only know their line.
    pub(crate) fn in_file(mut self, path: &std::path::Path) -> Self {
        if let Self::Invalid { origin, .. } = &mut self {
            origin.file = Some(path.to_owned());
        }
        self
    }
}

/// A setting that was accepted but does not do what a Java operator may expect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigWarning {
    /// File and line.
    pub origin: Origin,
    /// The zoo.cfg key.
    pub key: String,
    /// What happens instead, in words.
    pub message: String,
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}: {}", self.origin, self.key, self.message)
    }
}
