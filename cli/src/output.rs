//! How commands end: their errors, and writing to stdout.
//!
//! Commands write through [`stdout`] and return [`Result`]. A closed pipe (`cohort simulate |
//! head -1`) is not a failure: the reader has what it wanted, so the command stops quietly
//! with success, as `cat` and ripgrep do. Any other error is one line on stderr.

use std::io::{BufWriter, StdoutLock, Write};
use std::process::ExitCode;

/// Why a command stopped.
#[derive(Debug)]
pub enum Error {
    /// A message for the user.
    Message(String),
    /// Writing the output failed.
    Io(std::io::Error),
}

pub type Result<T> = std::result::Result<T, Error>;

impl From<String> for Error {
    fn from(message: String) -> Error {
        Error::Message(message)
    }
}

impl From<&str> for Error {
    fn from(message: &str) -> Error {
        Error::Message(message.to_owned())
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::Io(e)
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Error {
        match e.io_error_kind() {
            Some(kind) => Error::Io(kind.into()),
            None => Error::Message(format!("cannot write JSON: {e}")),
        }
    }
}

impl From<cohort_collector::store::StoreError> for Error {
    fn from(e: cohort_collector::store::StoreError) -> Error {
        Error::Message(e.to_string())
    }
}

/// Buffered stdout. Flush it before returning (a dropped `BufWriter` swallows the error).
pub fn stdout() -> BufWriter<StdoutLock<'static>> {
    BufWriter::new(std::io::stdout().lock())
}

/// The exit status for a command's result; errors are reported on stderr.
pub fn finish(result: Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Error::Io(e)) => report(&format!("cannot write the output: {e}")),
        Err(Error::Message(message)) => report(&message),
    }
}

fn report(message: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "cohort: error: {message}");
    ExitCode::FAILURE
}
