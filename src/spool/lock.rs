//! One process owns a spool directory: an exclusive `flock` on `LOCK`, released when the spool is
//! closed or the process dies (the kernel drops it; no stale lock survives a crash).

use std::fs::{File, OpenOptions};
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
        #[cfg(unix)]
        {
            use std::os::unix::io::AsRawFd;
            // SAFETY: flock on a descriptor this function owns; no memory is passed.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
                let error = std::io::Error::last_os_error();
                return Err(if error.kind() == std::io::ErrorKind::WouldBlock {
                    Error::Spool(SpoolError::Locked { path: dir.to_path_buf() })
                } else {
                    io(error)
                });
            }
        }
        Ok(Self { _file: file })
    }
}
