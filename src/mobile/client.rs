//! `OssClient` and `Appender`: the core's [`Client`](crate::Client) and [`Appender`](crate::Appender)
//! as objects Kotlin and Swift hold. Every method returns a result or throws `OssError`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::background::Background;
use super::callbacks::{self, CancelToken, CredentialsProvider, ProgressListener, Thrown};
use super::config::{ClientConfig, Credentials, Source};
use super::error::OssError;
use super::num;
use super::types::{
    AppendOptions, AppendResult, ByteRange, GetResult, InFlight, ObjectHeaders, ObjectMeta, PutResult, Settlement,
};
use crate::Body;

/// A blocking OSS client, safe to share between threads. The blocking methods run on the calling
/// thread (keep them off the UI thread); the `*Async` ones run on a library thread.
#[derive(Debug, uniffi::Object)]
pub struct OssClient {
    client: crate::Client,
}

/// The core's append options with the listener and token attached, and where what the listener
/// throws is kept.
fn append_options(
    options: Option<AppendOptions>,
    progress: Option<Arc<dyn ProgressListener>>,
    cancel: Option<&CancelToken>,
) -> Result<(crate::AppendOptions, Thrown), OssError> {
    let thrown = Thrown::default();
    let mut core = options.unwrap_or_default().into_core()?;
    core.progress = progress.map(|listener| callbacks::progress_fn(listener, &thrown));
    core.cancel = cancel.map(|c| c.token.clone());
    Ok((core, thrown))
}

impl OssClient {
    pub(crate) fn core(&self) -> &crate::Client {
        &self.client
    }
}

#[uniffi::export]
impl OssClient {
    /// A client signing with fixed credentials (long-lived keys, or one STS token).
    #[uniffi::constructor]
    pub fn new(config: ClientConfig, credentials: Credentials) -> Result<Arc<Self>, OssError> {
        let client = config.builder(Source::Static(credentials.into()))?.build()?;
        Ok(Arc::new(Self { client }))
    }

    /// A client that asks `provider` for credentials, and again 5 minutes before they expire.
    #[uniffi::constructor]
    pub fn with_credentials_provider(
        config: ClientConfig,
        provider: Arc<dyn CredentialsProvider>,
    ) -> Result<Arc<Self>, OssError> {
        let provider = callbacks::credentials_provider(provider);
        let client = config.builder(Source::Provider(provider))?.build()?;
        Ok(Arc::new(Self { client }))
    }

    /// Appends `data` to `bucket/key`, creating the object at position 0, and verifies the
    /// object's CRC-64 afterwards. Without `options.position` the client finds the object's end.
    #[uniffi::method(default(options = None, progress = None, cancel = None))]
    pub fn append(
        &self,
        bucket: String,
        key: String,
        data: Vec<u8>,
        options: Option<AppendOptions>,
        progress: Option<Arc<dyn ProgressListener>>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<AppendResult, OssError> {
        let (options, thrown) = append_options(options, progress, cancel.as_deref())?;
        let result = self.client.append_object(&bucket, &key, data.as_slice(), &options);
        Ok(result.map_err(|e| thrown.error(e))?.into())
    }

    /// Appends the file at `path`, streamed (never held in memory whole).
    #[uniffi::method(default(options = None, progress = None, cancel = None))]
    pub fn append_file(
        &self,
        bucket: String,
        key: String,
        path: String,
        options: Option<AppendOptions>,
        progress: Option<Arc<dyn ProgressListener>>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<AppendResult, OssError> {
        let (options, thrown) = append_options(options, progress, cancel.as_deref())?;
        let path = PathBuf::from(path);
        let result = self.client.append_object(&bucket, &key, Body::File(&path), &options);
        Ok(result.map_err(|e| thrown.error(e))?.into())
    }

    /// [`append`](Self::append) on a library thread. The progress listener is called on that
    /// thread. Cancelling the awaiting Kotlin coroutine cancels the call (through `cancel`, when
    /// one is given).
    #[uniffi::method(default(options = None, progress = None, cancel = None))]
    pub async fn append_async(
        &self,
        bucket: String,
        key: String,
        data: Vec<u8>,
        options: Option<AppendOptions>,
        progress: Option<Arc<dyn ProgressListener>>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<AppendResult, OssError> {
        let token = cancel.map(|c| c.token.clone()).unwrap_or_default();
        let (mut options, thrown) = append_options(options, progress, None)?;
        options.cancel = Some(token.clone());
        let client = self.client.clone();
        Background::spawn(token, move || {
            let result = client.append_object(&bucket, &key, data.as_slice(), &options);
            Ok(result.map_err(|e| thrown.error(e))?.into())
        })
        .await
    }

    /// [`append_file`](Self::append_file) on a library thread, as [`append_async`](Self::append_async).
    #[uniffi::method(default(options = None, progress = None, cancel = None))]
    pub async fn append_file_async(
        &self,
        bucket: String,
        key: String,
        path: String,
        options: Option<AppendOptions>,
        progress: Option<Arc<dyn ProgressListener>>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<AppendResult, OssError> {
        let token = cancel.map(|c| c.token.clone()).unwrap_or_default();
        let (mut options, thrown) = append_options(options, progress, None)?;
        options.cancel = Some(token.clone());
        let client = self.client.clone();
        Background::spawn(token, move || {
            let path = PathBuf::from(path);
            let result = client.append_object(&bucket, &key, Body::File(&path), &options);
            Ok(result.map_err(|e| thrown.error(e))?.into())
        })
        .await
    }

    /// An [`Appender`] for `bucket/key`: it carries the next position and CRC-64 from one append
    /// to the next. `options`, `progress` and `cancel` apply to each of its appends.
    #[uniffi::method(default(options = None, progress = None, cancel = None))]
    pub fn appender(
        &self,
        bucket: String,
        key: String,
        options: Option<AppendOptions>,
        progress: Option<Arc<dyn ProgressListener>>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<Arc<Appender>, OssError> {
        let (options, thrown) = append_options(options, progress, cancel.as_deref())?;
        let appender = self.client.appender(bucket, key).with_options(options);
        Ok(Arc::new(Appender { appender: Mutex::new(appender), thrown }))
    }

    /// The object's metadata. A missing object throws `Service` with status 404.
    pub fn head(&self, bucket: String, key: String) -> Result<ObjectMeta, OssError> {
        Ok(self.client.head_object(&bucket, &key)?.into())
    }

    /// Reads the object, or a byte range of it, into memory. Reading the whole object checks its CRC-64.
    #[uniffi::method(default(range = None, cancel = None))]
    pub fn get(
        &self,
        bucket: String,
        key: String,
        range: Option<ByteRange>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<GetResult, OssError> {
        let mut data = Vec::new();
        let cancel = cancel.as_ref().map(|c| &c.token);
        let result =
            self.client.get_object(&bucket, &key, range.map(ByteRange::into_core).transpose()?, &mut data, cancel)?;
        Ok(GetResult::new(data, result))
    }

    /// Writes `data` as a Normal (not appendable) object, replacing any object at `key`.
    #[uniffi::method(default(headers = None, progress = None, cancel = None))]
    pub fn put(
        &self,
        bucket: String,
        key: String,
        data: Vec<u8>,
        headers: Option<ObjectHeaders>,
        progress: Option<Arc<dyn ProgressListener>>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<PutResult, OssError> {
        let thrown = Thrown::default();
        let options = crate::PutOptions {
            headers: headers.map(ObjectHeaders::into_core).transpose()?.unwrap_or_default(),
            progress: progress.map(|listener| callbacks::progress_fn(listener, &thrown)),
            cancel: cancel.map(|c| c.token.clone()),
        };
        let result = self.client.put_object(&bucket, &key, data.as_slice(), &options);
        Ok(result.map_err(|e| thrown.error(e))?.into())
    }

    /// Proves whether an append whose outcome is unknown (from an `Unsettled` error) is in the
    /// object. Throws when the outcome is still unknown: settle again later, and never send the
    /// bytes again before.
    pub fn settle(&self, in_flight: InFlight) -> Result<Settlement, OssError> {
        Ok(self.client.settle(&in_flight.into_core()?)?.into())
    }

    /// Deletes the object (a missing one too, as the service does). Returns the request id.
    pub fn delete(&self, bucket: String, key: String) -> Result<String, OssError> {
        Ok(self.client.delete_object(&bucket, &key)?)
    }
}

/// Appends to one object again and again, carrying its next position and CRC-64 so no append
/// after the first needs a HEAD request. Safe to share; appends are made one at a time.
#[derive(Debug, uniffi::Object)]
pub struct Appender {
    appender: Mutex<crate::Appender>,
    /// What the appender's progress listener throws.
    thrown: Thrown,
}

impl Appender {
    fn locked(&self) -> std::sync::MutexGuard<'_, crate::Appender> {
        self.appender.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[uniffi::export]
impl Appender {
    /// Appends `data` at the tracked position. After a `PositionNotEqualToLength` error (another
    /// writer appended) the next append finds the object's end again.
    pub fn append(&self, data: Vec<u8>) -> Result<AppendResult, OssError> {
        let result = self.locked().append(data.as_slice());
        Ok(result.map_err(|e| self.thrown.error(e))?.into())
    }

    /// Appends the file at `path`, streamed.
    pub fn append_file(&self, path: String) -> Result<AppendResult, OssError> {
        let path = PathBuf::from(path);
        let result = self.locked().append(Body::File(&path));
        Ok(result.map_err(|e| self.thrown.error(e))?.into())
    }

    /// Settles the append whose outcome is unknown, after an `Unsettled` error: `Landed`, or
    /// `NotLanded` (send the bytes again); null when nothing is in flight.
    pub fn settle(&self) -> Result<Option<Settlement>, OssError> {
        Ok(self.locked().settle()?.map(Into::into))
    }

    /// The append whose outcome is unknown, if there is one.
    pub fn in_flight(&self) -> Option<InFlight> {
        self.locked().in_flight().cloned().map(Into::into)
    }

    /// The position of the next append, once known.
    pub fn next_position(&self) -> Option<i64> {
        num::out_opt(self.locked().next_position())
    }

    /// The object's CRC-64 so far, once known.
    pub fn crc64(&self) -> Option<i64> {
        num::crc_out_opt(self.locked().crc64())
    }
}
