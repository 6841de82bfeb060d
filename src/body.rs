//! Request bodies: bytes, files and readers of known length, streamed through a small buffer while
//! their CRC-64 is computed and progress is reported.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::crc64::Crc64;
use crate::error::{Argument, Error};

/// What an append or put sends.
pub enum Body<'a> {
    /// Bytes in memory.
    Bytes(&'a [u8]),
    /// A file, streamed; its length is taken when the call starts.
    File(&'a Path),
    /// Any reader that yields exactly `length` bytes. It cannot be rewound, so a failure after its
    /// first byte was read is not retried.
    Reader {
        /// The source.
        reader: &'a mut dyn Read,
        /// How many bytes it yields.
        length: u64,
    },
}

impl<'a> From<&'a [u8]> for Body<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Body::Bytes(bytes)
    }
}

impl<'a> From<&'a Vec<u8>> for Body<'a> {
    fn from(bytes: &'a Vec<u8>) -> Self {
        Body::Bytes(bytes)
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for Body<'a> {
    fn from(bytes: &'a [u8; N]) -> Self {
        Body::Bytes(bytes)
    }
}

impl<'a> From<&'a str> for Body<'a> {
    fn from(text: &'a str) -> Self {
        Body::Bytes(text.as_bytes())
    }
}

impl<'a> From<&'a Path> for Body<'a> {
    fn from(path: &'a Path) -> Self {
        Body::File(path)
    }
}

impl std::fmt::Debug for Body<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Bytes(b) => write!(f, "Body::Bytes({} bytes)", b.len()),
            Body::File(p) => write!(f, "Body::File({})", p.display()),
            Body::Reader { length, .. } => write!(f, "Body::Reader({length} bytes)"),
        }
    }
}

/// A progress callback: `(bytes sent, total)`; returning `false` cancels the upload.
/// It is called on the thread that makes the request.
pub type ProgressFn = dyn Fn(u64, u64) -> bool + Send + Sync;

/// A flag another thread sets to stop a running upload or download promptly.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token not yet cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels every call using this token, now and later.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// A body opened for sending, which knows its length and whether it can be sent again.
pub(crate) struct Source<'a> {
    kind: SourceKind<'a>,
    length: u64,
    /// Bytes taken from the underlying source since the last rewind.
    offset: u64,
}

enum SourceKind<'a> {
    Bytes(&'a [u8]),
    Owned(Vec<u8>),
    File(File),
    Reader(&'a mut dyn Read),
}

impl<'a> Source<'a> {
    pub(crate) fn open(body: Body<'a>) -> Result<Self, Error> {
        let (kind, length) = match body {
            Body::Bytes(bytes) => (SourceKind::Bytes(bytes), bytes.len() as u64),
            Body::File(path) => {
                let file = File::open(path)
                    .map_err(|e| Error::invalid(Argument::Body, format!("cannot open file {}: {e}", path.display())))?;
                let length = file.metadata().map_err(Error::Body)?.len();
                if length == 0 {
                    // Files such as /proc/cpuinfo report no size but have content: read them whole.
                    let mut content = Vec::new();
                    let mut file = file;
                    file.read_to_end(&mut content).map_err(Error::Body)?;
                    let length = content.len() as u64;
                    (SourceKind::Owned(content), length)
                } else {
                    (SourceKind::File(file), length)
                }
            }
            Body::Reader { reader, length } => (SourceKind::Reader(reader), length),
        };
        Ok(Self { kind, length, offset: 0 })
    }

    pub(crate) fn len(&self) -> u64 {
        self.length
    }

    /// Whether the body is a file (which may change between two reads).
    pub(crate) fn is_file(&self) -> bool {
        matches!(self.kind, SourceKind::File(_))
    }

    /// Whether the body can be sent again from its start.
    pub(crate) fn can_rewind(&self) -> bool {
        !matches!(self.kind, SourceKind::Reader(_)) || self.offset == 0
    }

    /// Goes back to the start; false when that is impossible.
    pub(crate) fn rewind(&mut self) -> Result<bool, Error> {
        if self.offset == 0 {
            return Ok(true);
        }
        match &mut self.kind {
            SourceKind::Bytes(_) | SourceKind::Owned(_) => {}
            SourceKind::File(file) => {
                file.seek(SeekFrom::Start(0)).map_err(Error::Body)?;
            }
            SourceKind::Reader(_) => return Ok(false),
        }
        self.offset = 0;
        Ok(true)
    }

    /// Reads the whole body once from its start, feeding `f`, and rewinds (for Content-MD5 and CRC).
    pub(crate) fn scan(&mut self, mut f: impl FnMut(&[u8])) -> Result<(), Error> {
        if matches!(self.kind, SourceKind::Reader(_)) {
            return Err(Error::invalid(
                Argument::Body,
                "a reader body is read only once, so it cannot be hashed before sending; give Content-MD5 as a value, or send bytes or a file",
            ));
        }
        self.rewind()?;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = self.read(&mut buf).map_err(Error::Body)?;
            if n == 0 {
                break;
            }
            f(&buf[..n]);
        }
        self.rewind()?;
        Ok(())
    }
}

impl Source<'_> {
    /// Takes the next `max` bytes at most as read, when the body is in memory (`None` for a file
    /// or a reader): where they start and how many they are, for [`Self::in_memory`].
    fn take_in_memory(&mut self, max: usize) -> Option<(usize, usize)> {
        let start = self.offset as usize;
        let n = (self.in_memory()?.len().min(self.length as usize)).saturating_sub(start).min(max);
        self.offset += n as u64;
        Some((start, n))
    }

    /// The whole body, when it is in memory.
    fn in_memory(&self) -> Option<&[u8]> {
        match &self.kind {
            SourceKind::Bytes(bytes) => Some(bytes),
            SourceKind::Owned(bytes) => Some(bytes),
            _ => None,
        }
    }
}

impl Read for Source<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let remaining = self.length - self.offset;
        if remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf.len().min(usize::try_from(remaining).unwrap_or(usize::MAX));
        let n = match &mut self.kind {
            SourceKind::Bytes(bytes) => copy_at(bytes, self.offset, &mut buf[..want]),
            SourceKind::Owned(bytes) => copy_at(bytes, self.offset, &mut buf[..want]),
            SourceKind::File(file) => file.read(&mut buf[..want])?,
            SourceKind::Reader(reader) => reader.read(&mut buf[..want])?,
        };
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("the body ended after {} of its {} bytes", self.offset, self.length),
            ));
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// Copies `bytes[offset..]` into all of `buf`.
fn copy_at(bytes: &[u8], offset: u64, buf: &mut [u8]) -> usize {
    let start = offset as usize;
    buf.copy_from_slice(&bytes[start..start + buf.len()]);
    buf.len()
}

/// Wraps a [`Source`] as it is sent: continues a CRC with the body, reports progress, honours
/// cancellation.
pub(crate) struct Upload<'s, 'a> {
    source: &'s mut Source<'a>,
    /// The CRC it started from, continued with every byte sent.
    pub crc: Crc64,
    pub sent: u64,
    progress: Option<&'s ProgressFn>,
    cancel: Option<&'s CancelToken>,
    pub cancelled: bool,
    /// The error reading the local body, kept apart from network errors.
    pub source_error: Option<io::Error>,
}

impl<'s, 'a> Upload<'s, 'a> {
    pub(crate) fn new(
        source: &'s mut Source<'a>,
        progress: Option<&'s ProgressFn>,
        cancel: Option<&'s CancelToken>,
        crc: Crc64,
    ) -> Self {
        Self { source, crc, sent: 0, progress, cancel, cancelled: false, source_error: None }
    }

    /// Whether every byte of the body went out.
    pub(crate) fn complete(&self) -> bool {
        self.sent == self.source.len()
    }
}

impl Upload<'_, '_> {
    /// Stops here when the cancel token says so.
    fn check_cancel(&mut self) -> io::Result<()> {
        if self.cancel.is_some_and(CancelToken::is_cancelled) {
            self.cancelled = true;
            return Err(io::Error::other("cancelled by the cancel token"));
        }
        Ok(())
    }

    /// Counts `n` more bytes sent and tells the progress callback, which may cancel.
    fn sent_more(&mut self, n: usize) -> io::Result<()> {
        self.sent += n as u64;
        if n > 0 {
            if let Some(progress) = self.progress {
                if !progress(self.sent, self.source.len()) {
                    self.cancelled = true;
                    return Err(io::Error::other("cancelled by the progress callback"));
                }
            }
        }
        Ok(())
    }
}

impl crate::net::http::Outgoing for Upload<'_, '_> {
    fn len(&self) -> u64 {
        self.source.len()
    }

    fn read_into(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read(buf)
    }

    fn next_slice(&mut self, max: usize) -> Option<io::Result<&[u8]>> {
        if let Err(e) = self.check_cancel() {
            return Some(Err(e));
        }
        let (start, n) = self.source.take_in_memory(max)?;
        let slice = &self.source.in_memory()?[start..start + n];
        self.crc.update(slice);
        if let Err(e) = self.sent_more(n) {
            return Some(Err(e));
        }
        Some(Ok(&self.source.in_memory()?[start..start + n]))
    }
}

impl Read for Upload<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.check_cancel()?;
        let n = match self.source.read(buf) {
            Ok(n) => n,
            Err(e) => {
                let shown = io::Error::new(e.kind(), e.to_string());
                self.source_error = Some(e);
                return Err(shown);
            }
        };
        self.crc.update(&buf[..n]);
        self.sent_more(n)?;
        Ok(n)
    }
}
