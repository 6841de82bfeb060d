//! The blocking client: the operations, read as the protocol. Signing, sending, retrying and error
//! mapping are the transport's ([`crate::transport`]); appends are the append stream's
//! ([`crate::stream`]); proving an append's outcome is [`crate::settle`]'s.

use std::io::{Read, Write};
use std::sync::Arc;

use md5::{Digest, Md5};

use crate::body::{Body, CancelToken, Source, Upload};
use crate::config::{ClientBuilder, Config};
use crate::crc64::Crc64;
use crate::error::{Argument, Error};
use crate::options::{
    AppendOptions, AppendResult, ByteRange, ContentMd5, GetResult, ObjectMeta, PutOptions, PutResult,
};
use crate::stream::{AppendStream, Tail};
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

    /// Appends `body` to the object `key`, creating it at position 0.
    ///
    /// The append is verified: the object's CRC-64 before it (from `options.crc64`, a HEAD request,
    /// or 0 at position 0) continued with the body must equal the service's `x-oss-hash-crc64ecma`.
    /// Retryable failures ([`Error::is_retryable`]) are retried when the body can be sent again.
    ///
    /// The outcome is total: when an attempt's response is lost after its body was sent, the call
    /// settles it before returning — it succeeds (with `reconciled` set) when the bytes landed, and
    /// returns the failure only when they did not. When settling fails too, the error is
    /// [`Error::Unsettled`]: the bytes may be in the object, and its in-flight append says how to
    /// find out ([`Client::settle`]).
    ///
    /// A request still under way when the client gave up may commit after settling said it had not.
    /// Send such an append again at the same position (an [`Appender`](crate::Appender) does): a
    /// PositionNotEqualToLength there is then settled too, never believed. Sent again without a
    /// position, it would be appended at the end a second time.
    pub fn append_object<'a>(
        &self,
        bucket: &str,
        key: &str,
        body: impl Into<Body<'a>>,
        options: &AppendOptions,
    ) -> Result<AppendResult, Error> {
        let tail = match options.position {
            Some(position) => Tail::At { position, crc64: options.crc64 },
            None => Tail::Unknown,
        };
        AppendStream::new(bucket, key, tail).append(self, body.into(), options)
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
        let call = Call { method: "HEAD", bucket, key: Some(key), query: Vec::new(), headers: Vec::new() };
        let transport = self.transport();
        let response = transport.retrying(cancel, |_| transport.send(&call, None))?;
        let headers = response.headers();
        let metadata = headers
            .iter()
            .filter_map(|(name, value)| {
                let name = name.as_str().strip_prefix("x-oss-meta-")?;
                Some((name.to_string(), value.to_str().ok()?.to_string()))
            })
            .collect();
        Ok(ObjectMeta {
            content_length: header_u64(headers, "content-length").unwrap_or(0),
            object_type: header(headers, "x-oss-object-type").unwrap_or_default(),
            next_append_position: header_u64(headers, "x-oss-next-append-position"),
            crc64: header_u64(headers, "x-oss-hash-crc64ecma"),
            etag: header(headers, "etag"),
            content_type: header(headers, "content-type"),
            last_modified: header(headers, "last-modified"),
            storage_class: header(headers, "x-oss-storage-class"),
            metadata,
            request_id: header(headers, "x-oss-request-id").unwrap_or_default(),
        })
    }

    /// Streams an object, or a byte range of it, into `writer`. Reading the whole object checks its
    /// CRC-64 against the service's.
    pub fn get_object(
        &self,
        bucket: &str,
        key: &str,
        range: Option<ByteRange>,
        writer: &mut dyn Write,
        cancel: Option<&CancelToken>,
    ) -> Result<GetResult, Error> {
        validate::bucket(bucket)?;
        validate::key(key)?;
        let mut headers = Vec::new();
        if let Some(range) = range {
            if range.end.is_some_and(|end| end < range.start) {
                return Err(Error::invalid(
                    Argument::Range,
                    format!("end {:?} is before start {}", range.end, range.start),
                ));
            }
            let end = range.end.map(|e| e.to_string()).unwrap_or_default();
            headers.push(("Range".to_string(), format!("bytes={}-{end}", range.start)));
        }
        let call = Call { method: "GET", bucket, key: Some(key), query: Vec::new(), headers };
        // Only the response headers are retried; once bytes reach the writer they cannot be taken back.
        let transport = self.transport();
        let response = transport.retrying(cancel, |_| transport.send(&call, None))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let server_crc = header_u64(&headers, "x-oss-hash-crc64ecma");
        let object_size = match header(&headers, "content-range") {
            Some(content_range) => content_range.rsplit('/').next().and_then(|s| s.parse().ok()),
            None => header_u64(&headers, "content-length"),
        };
        let request_id = header(&headers, "x-oss-request-id").unwrap_or_default();
        let mut reader = response.into_body().into_reader();
        let mut crc = Crc64::new();
        let mut written = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            check_cancel(cancel)?;
            let n = reader.read(&mut buf).map_err(|e| transport.map_io(e))?;
            if n == 0 {
                break;
            }
            writer.write_all(&buf[..n]).map_err(Error::Body)?;
            crc.update(&buf[..n]);
            written += n as u64;
        }
        if let (200, Some(server_crc)) = (status, server_crc) {
            if crc.value() != server_crc {
                return Err(Error::DownloadCrcMismatch {
                    computed_crc64: crc.value(),
                    server_crc64: server_crc,
                    bytes_read: written,
                    request_id,
                });
            }
        }
        Ok(GetResult {
            bytes_written: written,
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
        let call = Call { method: "PUT", bucket, key: Some(key), query: Vec::new(), headers };
        let progress = options.progress.as_deref();
        let cancel = options.cancel.as_ref();
        let transport = self.transport();
        // A put replaces the whole object: sending it again after a lost response is harmless.
        transport.retrying(cancel, |retry| {
            source.rewind()?;
            let mut upload = Upload::new(&mut source, progress, cancel, Crc64::new());
            let outcome = transport.send(&call, Some(&mut upload));
            let body_crc = upload.crc.value();
            if !source.can_rewind() {
                retry.forbid();
            }
            let response = outcome?;
            let headers = response.headers();
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
        let call = Call { method: "DELETE", bucket, key: Some(key), query: Vec::new(), headers: Vec::new() };
        let transport = self.transport();
        let response = transport.retrying(None, |_| transport.send(&call, None))?;
        Ok(header(response.headers(), "x-oss-request-id").unwrap_or_default())
    }
}

/// Compile-time check that a client can be shared between threads.
#[allow(dead_code)]
fn assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Client>();
    is::<Error>();
    is::<CancelToken>();
    is::<AppendOptions>();
    is::<crate::Appender>();
    is::<Config>();
}
