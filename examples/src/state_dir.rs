//! Where an example instance keeps its local state: the directory given with
//! `--state-dir`, or else a fresh one of its own under the system's temporary
//! directory, removed when the instance ends. Several instances on one host
//! (the README's scaling recipe) never share one.

use std::io;
use std::path::{Path, PathBuf};

/// An instance's state directory.
#[derive(Debug)]
pub enum StateDir {
    /// Given by the user; kept.
    Given(PathBuf),
    /// Created for this process (`$TMPDIR/rstreams-<example>-XXXXXX`); removed on drop.
    Own(tempfile::TempDir),
}

impl StateDir {
    /// `given`, or a new directory of this process for `example`.
    pub fn new(example: &str, given: Option<PathBuf>) -> io::Result<Self> {
        Ok(match given {
            Some(path) => StateDir::Given(path),
            None => StateDir::Own(
                tempfile::Builder::new()
                    .prefix(&format!("rstreams-{example}-"))
                    .tempdir()?,
            ),
        })
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        match self {
            StateDir::Given(path) => path,
            StateDir::Own(dir) => dir.path(),
        }
    }
}
