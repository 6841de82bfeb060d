//! One process owns a spool directory: an exclusive lock on `LOCK` (std's `File::try_lock`: `flock`
//! on Unix, `LockFileEx` on Windows), released when the spool is closed or the process dies (the
//! kernel drops it; no stale lock survives a crash).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

use crate::error::{Error, SpoolError};

#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    pub(crate) fn acquire(dir: &Path) -> Result<Self, Error> {
        let path = dir.join("LOCK");
        let io = |source| Error::Spool(SpoolError::Io { path: path.clone(), source });
        let file = OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(TryLockError::WouldBlock) => Err(Error::Spool(SpoolError::Locked { path: dir.to_path_buf() })),
            Err(TryLockError::Error(error)) => Err(io(error)),
        }
    }
}
