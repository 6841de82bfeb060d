//! The blocking client: the operations, read as the protocol. Signing, sending, retrying and error
//! mapping are the transport's ([`crate::transport`]); appends are the append stream's
//! ([`crate::append::stream`]); proving an append's outcome is [`crate::append::settle`]'s.

use std::io::{Read, Write};
use std::sync::Arc;

use md5::{Digest, Md5};

use crate::body::{Body, CancelToken, Source, Upload};
use crate::config::{ClientBuilder, Config};
use crate::crc64::Crc64;
use crate::error::{Argument, Error};
use crate::options::{ByteRange, ContentMd5, GetResult, ObjectMeta, PutOptions, PutResult};
use crate::transport::{check_cancel, header, header_u64, Call, Transport};
use crate::validate;

/// A blocking OSS client. Cheap to clone: clones share one connection pool. `Send + Sync`.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Transport>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = &self.inner.settings;
        f.debug_struct("Client")
            .field("endpoint", &s.endpoint.authority(None))
            .field("region", &s.region)
            .field("path_style", &s.path_style)
            .field("signature_version", &s.signature_version)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// Checks the settings and makes the client.
    pub fn build(self) -> Result<Client, Error> {
        Client::new(self.into_config()?)
    }
}

impl Client {
    /// A builder with every setting at its default.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client with these settings, after checking every one of them.
    pub fn new(config: Config) -> Result<Self, Error> {
        Ok(Self { inner: Arc::new(Transport::new(config.resolve()?)) })
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.inner
    }

    pub(crate) fn add_content_md5(
        &self,
        md5: &ContentMd5,
        source: &mut Source<'_>,
        headers: &mut Vec<(String, String)>,
    ) -> Result<(), Error> {
        if *md5 == ContentMd5::Compute {
            let mut hasher = Md5::new();
            source.scan(|chunk| hasher.update(chunk))?;
            use base64::Engine;
            headers.push(("Content-MD5".into(), base64::engine::general_purpose::STANDARD.encode(hasher.finalize())));
        }
        Ok(())
    }

    /// Reads an object's metadata. A missing object gives a 404 service error of kind `NoSuchKey`
    /// (`NoSuchBucket` for a missing bucket).
    pub fn head_object(&self, bucket: &str, key: &str) -> Result<ObjectMeta, Error> {
        self.head(bucket, key, None)
    }

    pub(crate) fn head(&self, bucket: &str, key: &str, cancel: Option<&CancelToken>) -> Result<ObjectMeta, Error> {
        validate::bucket(bucket)?;
        validate::key(key)?;
        let mut call = Call { method: "HEAD", bucket, key: Some(key), query: Vec::new(), headers: Vec::new() };
        let transport = self.transport();
        let response = transport.retrying(cancel, |_| transport.send(&mut call, None))?;
        Ok(object_meta(&response.headers))
    }

    /// Streams an object, or a byte range of it, into `writer`. Reading the whole object checks its
    /// CRC-64 against the service's. A range that starts at or past the end reads nothing (see
    /// [`ByteRange`]); every ranged read asks for the service's standard range behavior, and a server
    /// that answers a range with the whole object still gives the range.
    pub fn get_object(
        &self,
        bucket: &str,
        key: &str,
        range: Option<ByteRange>,
        writer: &mut dyn Write,
        cancel: Option<&CancelToken>,
    ) -> Result<GetResult, Error> {
        self.get(bucket, key, range, cancel, &mut |_| Ok(()), writer)
    }

    /// Reads an object, or a byte range of it, into `buffer`: the bytes go to `buffer[..bytes_written]`.
    /// A read longer than the buffer fails with [`Error::BufferTooSmall`], saying the size needed,
    /// and leaves the buffer untouched.
    pub fn get_object_into(
        &self,
        bucket: &str,
        key: &str,
        range: Option<ByteRange>,
        buffer: &mut [u8],
        cancel: Option<&CancelToken>,
    ) -> Result<GetResult, Error> {
        let capacity = buffer.len() as u64;
        // Straight into the buffer when the response says its length (and it fits); else aside first.
        let direct = std::cell::Cell::new(false);
        let mut sink = IntoBuffer { buffer, len: 0, aside: Vec::new(), beyond: 0, direct: &direct };
        let mut result = self.get(
            bucket,
            key,
            range,
            cancel,
            &mut |length| match length {
                Some(needed) if needed > capacity => Err(Error::BufferTooSmall { needed, capacity }),
                Some(_) => {
                    direct.set(true);
                    Ok(())
                }
                None => Ok(()),
            },
            &mut sink,
        )?;
        if !direct.get() {
            let needed = sink.aside.len();
            if needed as u64 > capacity {
                return Err(Error::BufferTooSmall { needed: needed as u64 + sink.beyond, capacity });
            }
            sink.buffer[..needed].copy_from_slice(&sink.aside);
            result.bytes_written = needed as u64;
        }
        Ok(result)
    }

    /// The one GET: `on_length` is told the number of bytes about to be written to `writer` (when
    /// the response says it) before any is, and may refuse.
    fn get(
        &self,
        bucket: &str,
        key: &str,
        range: Option<ByteRange>,
        cancel: Option<&CancelToken>,
        on_length: &mut dyn FnMut(Option<u64>) -> Result<(), Error>,
        writer: &mut dyn Write,
    ) -> Result<GetResult, Error> {
        validate::bucket(bucket)?;
        validate::key(key)?;
        let mut headers = Vec::new();
        if let Some(range) = range {
            match range {
                ByteRange::Span { first, last } if last < first => {
                    return Err(Error::invalid(
                        Argument::Range,
                        format!("last byte {last} is before first byte {first}"),
                    ));
                }
                ByteRange::Last(0) => return Err(Error::invalid(Argument::Range, "the last 0 bytes is no range")),
                _ => {}
            }
            headers.push(("Range".to_string(), range.header()));
            // Without it the service answers a range past the object with the whole object.
            headers.push(("x-oss-range-behavior".to_string(), "standard".to_string()));
        }
        let mut call = Call { method: "GET", bucket, key: Some(key), query: Vec::new(), headers };
        // Only the response headers are retried; once bytes reach the writer they cannot be taken back.
        let transport = self.transport();
        let response = match transport.retrying(cancel, |_| transport.send(&mut call, None)) {
            Ok(response) => response,
            // Nothing of the object is in the range: nothing to read (yet).
            Err(Error::Service(e)) if range.is_some() && e.status == 416 => {
                let start = match range {
                    Some(ByteRange::Span { first, .. } | ByteRange::From(first)) => first,
                    _ => e.object_size.unwrap_or(0),
                };
                return Ok(GetResult {
                    bytes_written: 0,
                    start,
                    object_size: e.object_size,
                    crc64: None,
                    etag: None,
                    object_type: None,
                    request_id: e.request_id,
                });
            }
            Err(e) => return Err(e),
        };
        let status = response.status;
        let headers = response.headers.clone();
        let server_crc = header_u64(&headers, "x-oss-hash-crc64ecma");
        let content_length = header_u64(&headers, "content-length");
        let content_range = header(&headers, "content-range");
        let request_id = header(&headers, "x-oss-request-id").unwrap_or_default();
        // What of the body to write: (skip, take, where it starts in the object, the object's size).
        let (skip, take, start, object_size) = match (status, range, &content_range) {
            (206, _, Some(content_range)) => {
                let (start, length, size) = parse_content_range(content_range, range)?;
                if content_length.is_some_and(|content_length| content_length != length) {
                    return Err(Error::Protocol(format!(
                        "a 206 whose Content-Length {} is not the length of its Content-Range {content_range}",
                        content_length.unwrap_or_default()
                    )));
                }
                (0, Some(length), start, size)
            }
            (206, _, None) => return Err(Error::Protocol("a 206 (partial content) without a Content-Range".into())),
            // A range answered with the whole object (a server or proxy that does not do ranges):
            // the range is cut from it here.
            (200, Some(range), _) => match content_length {
                Some(size) => {
                    let (start, length) = range.within(size);
                    (start.min(size), Some(length), start, Some(size))
                }
                None => {
                    return Err(Error::Protocol(format!(
                        "the range {} was answered with the whole object, of unknown length",
                        range.header()
                    )))
                }
            },
            _ => (0, content_length, 0, content_length),
        };
        on_length(take)?;
        let mut reader = response.into_body();
        let mut crc = Crc64::new();
        let (mut offset, mut written) = (0u64, 0u64);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            check_cancel(cancel)?;
            let n = reader.read(&mut buf).map_err(|e| transport.map_io(e))?;
            if n == 0 {
                break;
            }
            let chunk = &buf[..n];
            crc.update(chunk);
            // The part of this chunk inside [skip, skip + take).
            let from = skip.saturating_sub(offset).min(n as u64) as usize;
            let to = match take {
                Some(take) => (skip + take).saturating_sub(offset).min(n as u64) as usize,
                None => n,
            };
            if from < to {
                writer.write_all(&chunk[from..to]).map_err(Error::Body)?;
                written += (to - from) as u64;
            }
            offset += n as u64;
            // A partial answer is no longer than the range it names (a body without a
            // Content-Length could otherwise go on for ever).
            if status == 206 && take.is_some_and(|take| offset > take) {
                return Err(Error::Protocol(format!(
                    "the server sent more than the {} bytes of the range {}",
                    take.unwrap_or_default(),
                    content_range.unwrap_or_default()
                )));
            }
        }
        if let (200, Some(server_crc)) = (status, server_crc) {
            if crc.value() != server_crc {
                return Err(Error::DownloadCrcMismatch {
                    computed_crc64: crc.value(),
                    server_crc64: server_crc,
                    bytes_read: offset,
                    request_id,
                });
            }
        }
        Ok(GetResult {
            bytes_written: written,
            start,
            object_size,
            crc64: server_crc,
            etag: header(&headers, "etag"),
            object_type: header(&headers, "x-oss-object-type"),
            request_id,
        })
    }

    /// Reads a whole object (or a range) into memory.
    pub fn get_object_to_vec(&self, bucket: &str, key: &str, range: Option<ByteRange>) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        self.get_object(bucket, key, range, &mut out, None)?;
        Ok(out)
    }

    /// Writes a whole object as a Normal (not appendable) object, replacing any object at `key`.
    pub fn put_object<'a>(
        &self,
        bucket: &str,
        key: &str,
        body: impl Into<Body<'a>>,
        options: &PutOptions,
    ) -> Result<PutResult, Error> {
        validate::bucket(bucket)?;
        validate::key(key)?;
        let mut source = Source::open(body.into())?;
        let mut headers = options.headers.to_headers(true, false)?;
        self.add_content_md5(&options.headers.content_md5, &mut source, &mut headers)?;
        headers.push(("Content-Length".into(), source.len().to_string()));
        let mut call = Call { method: "PUT", bucket, key: Some(key), query: Vec::new(), headers };
        let progress = options.progress.as_deref();
        let cancel = options.cancel.as_ref();
        let transport = self.transport();
        // A put replaces the whole object: sending it again after a lost response is harmless.
        transport.retrying(cancel, |retry| {
            source.rewind()?;
            let mut upload = Upload::new(&mut source, progress, cancel, Crc64::new());
            let outcome = transport.send(&mut call, Some(&mut upload));
            let body_crc = upload.crc.value();
            if !source.can_rewind() {
                retry.forbid();
            }
            let response = outcome?;
            let headers = &response.headers;
            let server_crc = header_u64(headers, "x-oss-hash-crc64ecma");
            let request_id = header(headers, "x-oss-request-id").unwrap_or_default();
            if let Some(server_crc) = server_crc.filter(|crc| *crc != body_crc) {
                return Err(Error::CrcMismatch {
                    expected_crc64: body_crc,
                    server_crc64: server_crc,
                    next_position: source.len(),
                    request_id,
                });
            }
            Ok(PutResult { etag: header(headers, "etag"), crc64: server_crc, request_id })
        })
    }

    /// Deletes an object. Deleting a missing object succeeds, as the service does. Returns the request id.
    pub fn delete_object(&self, bucket: &str, key: &str) -> Result<String, Error> {
        validate::bucket(bucket)?;
        validate::key(key)?;
        let mut call = Call { method: "DELETE", bucket, key: Some(key), query: Vec::new(), headers: Vec::new() };
        let transport = self.transport();
        let response = transport.retrying(None, |_| transport.send(&mut call, None))?;
        Ok(header(&response.headers, "x-oss-request-id").unwrap_or_default())
    }
}

/// The writer of [`Client::get_object_into`]: into the caller's buffer once its length is known to
/// fit (`direct`), else into `aside`.
struct IntoBuffer<'a> {
    buffer: &'a mut [u8],
    len: usize,
    /// The body of unknown length, up to one byte more than the buffer holds.
    aside: Vec<u8>,
    /// Bytes of a body of unknown length past what `aside` keeps (counted, not kept).
    beyond: u64,
    direct: &'a std::cell::Cell<bool>,
}

impl Write for IntoBuffer<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if !self.direct.get() {
            // Memory stays bounded by the buffer's size, whatever the server sends.
            let keep = (self.buffer.len() + 1).saturating_sub(self.aside.len()).min(bytes.len());
            self.aside.extend_from_slice(&bytes[..keep]);
            self.beyond += (bytes.len() - keep) as u64;
            return Ok(bytes.len());
        }
        let end = self.len + bytes.len();
        let slot = self
            .buffer
            .get_mut(self.len..end)
            .ok_or_else(|| std::io::Error::other("the response is longer than its Content-Length"))?;
        slot.copy_from_slice(bytes);
        self.len = end;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A 206's `Content-Range: bytes FIRST-LAST/SIZE` (SIZE may be `*`): (first, length, size), checked
/// against the range asked for: a server that answers with other bytes is refused, not believed.
fn parse_content_range(value: &str, asked: Option<ByteRange>) -> Result<(u64, u64, Option<u64>), Error> {
    let refused = || Error::Protocol(format!("a 206 with a Content-Range ({value}) that is not the range asked for"));
    let (span, size) = value.strip_prefix("bytes ").and_then(|rest| rest.split_once('/')).ok_or_else(refused)?;
    let (first, last) = span.split_once('-').ok_or_else(refused)?;
    let (first, last): (u64, u64) = (first.parse().map_err(|_| refused())?, last.parse().map_err(|_| refused())?);
    let size = match size {
        "*" => None,
        size => Some(size.parse::<u64>().map_err(|_| refused())?),
    };
    if last < first || size.is_some_and(|size| last >= size) {
        return Err(refused());
    }
    let length = last - first + 1;
    let matches = match (asked, size) {
        (None, _) => true,
        (Some(asked), Some(size)) => asked.within(size) == (first, length),
        (Some(ByteRange::Span { first: from, last: to }), None) => first == from && last <= to,
        (Some(ByteRange::From(from)), None) => first == from,
        (Some(ByteRange::Last(n)), None) => length <= n,
    };
    if matches {
        Ok((first, length, size))
    } else {
        Err(refused())
    }
}

/// An object's metadata from the headers of a HEAD response.
pub(crate) fn object_meta(headers: &crate::net::http1::Headers) -> ObjectMeta {
    let metadata = headers
        .iter()
        .filter_map(|(name, value)| {
            let prefix = "x-oss-meta-";
            if name.len() <= prefix.len() || !name[..prefix.len()].eq_ignore_ascii_case(prefix) {
                return None;
            }
            // A value the HTTP grammar allows in text (visible ASCII, spaces, tabs).
            let text = value.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b));
            text.then(|| (name[prefix.len()..].to_ascii_lowercase(), value.to_string()))
        })
        .collect();
    ObjectMeta {
        content_length: header_u64(headers, "content-length").unwrap_or(0),
        object_type: header(headers, "x-oss-object-type").unwrap_or_default(),
        next_append_position: header_u64(headers, "x-oss-next-append-position"),
        crc64: header_u64(headers, "x-oss-hash-crc64ecma"),
        etag: header(headers, "etag"),
        content_type: header(headers, "content-type"),
        last_modified: header(headers, "last-modified"),
        storage_class: header(headers, "x-oss-storage-class"),
        cache_control: header(headers, "cache-control"),
        content_disposition: header(headers, "content-disposition"),
        content_encoding: header(headers, "content-encoding"),
        expires: header(headers, "expires"),
        server_side_encryption: header(headers, "x-oss-server-side-encryption"),
        server_side_encryption_key_id: header(headers, "x-oss-server-side-encryption-key-id"),
        tagging_count: header_u64(headers, "x-oss-tagging-count"),
        version_id: header(headers, "x-oss-version-id"),
        metadata,
        request_id: header(headers, "x-oss-request-id").unwrap_or_default(),
    }
}
