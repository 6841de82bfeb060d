//! The emulator's own answer to requests hyper cannot parse.
//!
//! hyper answers a request it cannot parse (not HTTP/1.1, a bad header line, a Content-Length that
//! is no number, headers past the limits) with a bare status and no body, then closes the
//! connection. OSS answers every error with its XML error document and a request id, and clients
//! parse that one shape, so the connection's output passes through [`OssParseErrors`], which puts
//! such an automatic answer into the same shape (status kept, `Connection: close`).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::server::Shared;

/// A connection whose automatic parse-error answers are rewritten as OSS errors.
pub(crate) struct OssParseErrors<I> {
    inner: I,
    shared: Arc<Shared>,
    /// A rewritten answer still to go out, and how much of it has.
    pending: Vec<u8>,
    sent: usize,
}

impl<I> OssParseErrors<I> {
    pub(crate) fn new(inner: I, shared: Arc<Shared>) -> Self {
        Self { inner, shared, pending: Vec::new(), sent: 0 }
    }
}

/// The OSS error for one of hyper's automatic answers (`head` is its whole output), or `None`
/// when `head` is anything else.
fn rewrite(head: &[u8], shared: &Shared) -> Option<Vec<u8>> {
    let (status_line, code, message) = match head {
        _ if head.starts_with(b"HTTP/1.1 400 Bad Request\r\n") => (
            "HTTP/1.1 400 Bad Request",
            "InvalidRequest",
            "The request is not valid HTTP/1.1: its request line, a header line or its length cannot be parsed.",
        ),
        _ if head.starts_with(b"HTTP/1.1 431 Request Header Fields Too Large\r\n") => (
            "HTTP/1.1 431 Request Header Fields Too Large",
            "RequestHeaderTooLarge",
            "The request's head is larger than 1 MiB or has more than 200 headers.",
        ),
        _ if head.starts_with(b"HTTP/1.1 414 URI Too Long\r\n") => {
            ("HTTP/1.1 414 URI Too Long", "UriTooLong", "The request's URI is too long.")
        }
        _ => return None,
    };
    // The whole of an automatic answer is its head: no body, and none of the emulator's headers.
    if !head.ends_with(b"\r\n\r\n") || head.windows(4).filter(|w| w == b"\r\n\r\n").count() != 1 {
        return None;
    }
    if head.to_ascii_lowercase().windows(16).any(|w| w == b"x-oss-request-id") {
        return None;
    }
    let request_id = shared.request_id();
    let body = crate::xml::error_body(code, message, &request_id, "localhost", "", &[]);
    let date = httpdate::fmt_http_date(shared.now());
    let mut out = format!(
        "{status_line}\r\ncontent-type: application/xml\r\ncontent-length: {}\r\nconnection: close\r\n\
         server: AliyunOSS\r\ndate: {date}\r\nx-oss-request-id: {request_id}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body.as_bytes());
    Some(out)
}

impl<I: AsyncWrite + Unpin> OssParseErrors<I> {
    /// Sends what is left of a rewritten answer.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.sent < self.pending.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.sent += n;
        }
        self.pending.clear();
        self.sent = 0;
        Poll::Ready(Ok(()))
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for OssParseErrors<I> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for OssParseErrors<I> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(this.drain(cx))?;
        if let Some(answer) = rewrite(buf, &this.shared) {
            this.pending = answer;
            // What does not go out now goes out on the flush that follows.
            if let Poll::Ready(Err(e)) = this.drain(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
