//! `OssClient` and `Appender`: the core's [`Client`](crate::Client) and [`Appender`](crate::Appender)
//! as objects Kotlin and Swift hold. Every method returns a result or throws `OssError`.
//!
//! Every operation is written once and exported twice by [`blocking_and_async!`]: `name`, which
//! runs on the caller's thread, and `name_async`, which runs the same body on a library thread
//! and is awaited. `bindings/uniffi.toml` renames them for Kotlin (`nameBlocking` and the suspend
//! `name`); Swift keeps `name` and `nameAsync`, and the hand-written `TaskCancellation.swift` adds
//! the `async` `name` that a cancelled Task stops.

use std::borrow::Borrow;
use std::collections::HashMap;
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
use crate::transport::check_cancel;
use crate::Body;

/// An OSS client, safe to share between threads.
#[derive(Debug, uniffi::Object)]
pub struct OssClient {
    client: crate::Client,
}

/// The core's append options with the listener and token attached, and where what the listener
/// throws is kept.
fn append_options(
    options: Option<AppendOptions>,
    progress: Option<Arc<dyn ProgressListener>>,
    cancel: Option<&crate::CancelToken>,
) -> Result<(crate::AppendOptions, Thrown), OssError> {
    let thrown = Thrown::default();
    let mut core = options.unwrap_or_default().into_core()?;
    core.progress = progress.map(|listener| callbacks::progress_fn(listener, &thrown));
    core.cancel = cancel.cloned();
    Ok((core, thrown))
}

impl OssClient {
    pub(crate) fn core(&self) -> &crate::Client {
        &self.client
    }

    /// The core client, for a call on a library thread.
    fn owned(this: &Arc<Self>) -> crate::Client {
        this.client.clone()
    }
}

/// Exports each operation of an object twice from one body (see the module's documentation).
///
/// `state` is what a body works on: `$it` is a `&$state`, borrowed from `self` by `$borrow` in the
/// blocking form and taken from an owned `$own(&self)` moved to the library thread in the async
/// one. `$cancel` is the call's `Option<&crate::CancelToken>`: the caller's `cancel` in the blocking
/// form; in the async one the caller's token or a new one, which dropping the future (a cancelled
/// coroutine) cancels.
macro_rules! blocking_and_async {
    (
        impl $type:ident, $it:ident: &$state:ty = $borrow:path, owned $own:path;
        $(
            $(#[$meta:meta])*
            fn $name:ident, $async_name:ident($($arg:ident: $arg_ty:ty),* $(,)?) -> $ret:ty |$cancel:ident| $body:block
        )*
    ) => {
        #[uniffi::export]
        impl $type {
            $(
                $(#[$meta])*
                #[doc = ""]
                #[doc = "Blocks the calling thread until done: keep it off the main thread."]
                pub fn $name(&self, $($arg: $arg_ty,)* cancel: Option<Arc<CancelToken>>) -> Result<$ret, OssError> {
                    let $it: &$state = $borrow(self);
                    let $cancel: Option<&crate::CancelToken> = cancel.as_deref().map(|c| &c.token);
                    $body
                }

                $(#[$meta])*
                #[doc = ""]
                #[doc = "Runs on a library thread and is awaited; cancelling the awaiting coroutine cancels it."]
                pub async fn $async_name(
                    self: Arc<Self>,
                    $($arg: $arg_ty,)*
                    cancel: Option<Arc<CancelToken>>,
                ) -> Result<$ret, OssError> {
                    let token = cancel.map(|c| c.token.clone()).unwrap_or_default();
                    let owned = $own(&self);
                    let call_token = token.clone();
                    Background::spawn(token, move || {
                        let $it: &$state = owned.borrow();
                        let $cancel: Option<&crate::CancelToken> = Some(&call_token);
                        $body
                    })
                    .await
                }
            )*
        }
    };
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

    /// A client that fetches STS credentials from the app's token server at `url` (a GET answered
    /// with `{"StatusCode":200,"AccessKeyId":…,"AccessKeySecret":…,"SecurityToken":…,"Expiration":…}`,
    /// or a relayed STS AssumeRole answer), with `headers` (such as the app's own `Authorization`),
    /// through this client's proxy and trust; again 5 minutes before they expire or when the
    /// service refuses them.
    #[uniffi::constructor(default(headers = None))]
    pub fn with_credentials_url(
        config: ClientConfig,
        url: String,
        headers: Option<HashMap<String, String>>,
    ) -> Result<Arc<Self>, OssError> {
        let mut headers: Vec<(String, String)> = headers.unwrap_or_default().into_iter().collect();
        headers.sort_unstable();
        let url = headers.into_iter().fold(crate::CredentialsUrl::new(url), |url, (n, v)| url.header(n, v));
        let client = config.builder(Source::Url(url))?.build()?;
        Ok(Arc::new(Self { client }))
    }

    /// An [`Appender`] for `bucket/key`: it carries the next position and CRC-64 from one append
    /// to the next. `options` and `progress` apply to each of its appends; each append takes its
    /// own cancel token.
    #[uniffi::method(default(options = None, progress = None))]
    pub fn appender(
        &self,
        bucket: String,
        key: String,
        options: Option<AppendOptions>,
        progress: Option<Arc<dyn ProgressListener>>,
    ) -> Result<Arc<Appender>, OssError> {
        let (options, thrown) = append_options(options, progress, None)?;
        let appender = self.client.appender(bucket, key).with_options(options);
        Ok(Arc::new(Appender { appender: Mutex::new(appender), thrown }))
    }
}

blocking_and_async! {
    impl OssClient, client: &crate::Client = OssClient::core, owned OssClient::owned;

    /// Appends `data` to `bucket/key`, creating the object at position 0, and verifies the
    /// object's CRC-64 afterwards. Without `options.position` the client finds the object's end.
    #[uniffi::method(default(options = None, progress = None, cancel = None))]
    fn append, append_async(
        bucket: String,
        key: String,
        data: Vec<u8>,
        options: Option<AppendOptions>,
        progress: Option<Arc<dyn ProgressListener>>,
    ) -> AppendResult |cancel| {
        let (options, thrown) = append_options(options, progress, cancel)?;
        let result = client.append_object(&bucket, &key, data.as_slice(), &options);
        Ok(thrown.finish(result)?.into())
    }

    /// Appends the file at `path`, streamed (never held in memory whole).
    #[uniffi::method(default(options = None, progress = None, cancel = None))]
    fn append_file, append_file_async(
        bucket: String,
        key: String,
        path: String,
        options: Option<AppendOptions>,
        progress: Option<Arc<dyn ProgressListener>>,
    ) -> AppendResult |cancel| {
        let (options, thrown) = append_options(options, progress, cancel)?;
        let path = PathBuf::from(path);
        let result = client.append_object(&bucket, &key, Body::File(&path), &options);
        Ok(thrown.finish(result)?.into())
    }

    /// The object's metadata. A missing object throws `Service` with status 404.
    #[uniffi::method(default(cancel = None))]
    fn head, head_async(bucket: String, key: String) -> ObjectMeta |cancel| {
        Ok(client.head(&bucket, &key, cancel)?.into())
    }

    /// Reads the object, or a byte range of it, into memory. Reading the whole object checks its CRC-64.
    #[uniffi::method(default(range = None, cancel = None))]
    fn get, get_async(bucket: String, key: String, range: Option<ByteRange>) -> GetResult |cancel| {
        let mut data = Vec::new();
        let range = range.map(ByteRange::into_core).transpose()?;
        let result = client.get_object(&bucket, &key, range, &mut data, cancel)?;
        Ok(GetResult::new(data, result))
    }

    /// Writes `data` as a Normal (not appendable) object, replacing any object at `key`.
    #[uniffi::method(default(headers = None, progress = None, cancel = None))]
    fn put, put_async(
        bucket: String,
        key: String,
        data: Vec<u8>,
        headers: Option<ObjectHeaders>,
        progress: Option<Arc<dyn ProgressListener>>,
    ) -> PutResult |cancel| {
        let thrown = Thrown::default();
        let options = crate::PutOptions {
            headers: headers.map(ObjectHeaders::into_core).transpose()?.unwrap_or_default(),
            progress: progress.map(|listener| callbacks::progress_fn(listener, &thrown)),
            cancel: cancel.cloned(),
        };
        let result = client.put_object(&bucket, &key, data.as_slice(), &options);
        Ok(thrown.finish(result)?.into())
    }

    /// Proves whether an append whose outcome is unknown (from an `Unsettled` error) is in the
    /// object. Throws when the outcome is still unknown: settle again later, and never send the
    /// bytes again before. `NotLanded` means not landed yet: a request still under way may commit
    /// later. Send the bytes again at the same position with this client (`append` with the
    /// position and CRC, or the `Appender`): it remembers the position, and a late commit is then
    /// reported landed (`reconciled`), never appended twice.
    #[uniffi::method(default(cancel = None))]
    fn settle, settle_async(in_flight: InFlight) -> Settlement |cancel| {
        Ok(client.settle_with(&in_flight.into_core()?, cancel, None)?.into())
    }

    /// Deletes the object (a missing one too, as the service does). Returns the request id. A
    /// cancel is seen before the request is sent.
    #[uniffi::method(default(cancel = None))]
    fn delete, delete_async(bucket: String, key: String) -> String |cancel| {
        check_cancel(cancel)?;
        Ok(client.delete_object(&bucket, &key)?)
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

    /// Appends `body`, stopped by `cancel` for this call alone.
    fn append_body(&self, body: Body<'_>, cancel: Option<&crate::CancelToken>) -> Result<AppendResult, OssError> {
        let mut appender = self.locked();
        let result = match cancel {
            Some(token) => appender.append_cancellable(body, token),
            None => appender.append(body),
        };
        Ok(self.thrown.finish(result)?.into())
    }

    fn itself(this: &Appender) -> &Appender {
        this
    }
}

blocking_and_async! {
    impl Appender, appender: &Appender = Appender::itself, owned Arc::clone;

    /// Appends `data` at the tracked position. After a `PositionNotEqualToLength` error (another
    /// writer appended) the next append finds the object's end again. A cancel stops this append
    /// only.
    #[uniffi::method(default(cancel = None))]
    fn append, append_async(data: Vec<u8>) -> AppendResult |cancel| {
        appender.append_body(Body::from(data.as_slice()), cancel)
    }

    /// Appends the file at `path`, streamed. A cancel stops this append only.
    #[uniffi::method(default(cancel = None))]
    fn append_file, append_file_async(path: String) -> AppendResult |cancel| {
        let path = PathBuf::from(path);
        appender.append_body(Body::File(&path), cancel)
    }

    /// Settles the append whose outcome is unknown, after an `Unsettled` error: `Landed`, or
    /// `NotLanded` (send the bytes again); null when nothing is in flight. A cancel is seen before
    /// the object is asked.
    #[uniffi::method(default(cancel = None))]
    fn settle, settle_async() -> Option<Settlement> |cancel| {
        check_cancel(cancel)?;
        Ok(appender.locked().settle()?.map(Into::into))
    }
}

#[uniffi::export]
impl Appender {
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
