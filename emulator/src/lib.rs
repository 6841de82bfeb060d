//! A local OSS-compatible server that speaks AppendObject as the service does: the project's tests,
//! examples and benchmarks run against it.
//!
//! ```no_run
//! let emu = oss_emulator::Emulator::builder()
//!     .credentials("AK", "SK")
//!     .bucket("test-bucket")
//!     .start()?;
//! println!("{}", emu.endpoint());
//! emu.faults().fail_next(1, 503);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! It verifies V4 and V1 signatures with the core's signer, keeps objects in memory or under a root
//! directory, serializes appends per object, and injects faults on demand (see [`Faults`]).

mod admin;
mod auth;
mod body;
mod error;
mod faults;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
mod pool;
pub mod proxy;
mod server;
mod store;
pub mod tls;
mod wire;
mod xml;

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use oss_append::Credentials;
use tokio::sync::watch;

pub use faults::{Faults, InjectedFailure, PendingFaults};
pub use server::{RecordedRequest, MAX_KEY_LEN, MAX_RECORDED_REQUESTS};
pub use store::{ObjectInfo, ObjectType};

/// The size limit of an object, as the service has it: 5 GiB.
pub const DEFAULT_MAX_OBJECT_SIZE: u64 = 5_368_709_120;
/// The region when none is set.
pub const DEFAULT_REGION: &str = "cn-hangzhou";
/// Prefix of the admin endpoint's paths.
pub const ADMIN_PREFIX: &str = admin::PREFIX;

/// Configures and starts an [`Emulator`].
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    credentials: Vec<Credentials>,
    buckets: Vec<String>,
    region: String,
    root: Option<PathBuf>,
    max_object_size: u64,
    admin: bool,
    listen: SocketAddr,
    body_timeout: Duration,
    header_timeout: Duration,
    log_requests: bool,
    worker_threads: Option<usize>,
    /// HTTPS: the certificate chain and key (PEM), and the authority's certificate when made here.
    tls: Option<(Vec<u8>, SecretPem, Option<String>)>,
}

/// A private key, kept out of `Debug`.
#[derive(Clone)]
struct SecretPem(Vec<u8>);

impl std::fmt::Debug for SecretPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<private key>")
    }
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            credentials: Vec::new(),
            buckets: Vec::new(),
            region: DEFAULT_REGION.to_string(),
            root: None,
            max_object_size: DEFAULT_MAX_OBJECT_SIZE,
            admin: false,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            body_timeout: Duration::from_secs(60),
            header_timeout: Duration::from_secs(120),
            log_requests: false,
            worker_threads: None,
            tls: None,
        }
    }
}

impl EmulatorBuilder {
    /// Accepts requests signed with this key pair (repeatable). With none, requests are anonymous and
    /// signatures are not checked.
    pub fn credentials(mut self, access_key_id: impl Into<String>, access_key_secret: impl Into<String>) -> Self {
        self.credentials.push(Credentials::new(access_key_id, access_key_secret));
        self
    }

    /// Accepts STS keys (repeatable): requests signed with them must carry `token` in
    /// `x-oss-security-token` (or the `security-token` header some SDKs send with V1).
    pub fn sts_credentials(
        mut self,
        access_key_id: impl Into<String>,
        access_key_secret: impl Into<String>,
        token: impl Into<String>,
    ) -> Self {
        self.credentials.push(Credentials::new(access_key_id, access_key_secret).with_security_token(token));
        self
    }

    /// Accepts STS keys that expire at `expiration` (repeatable): from then on, requests signed with
    /// them get `403 SecurityTokenExpired` (EC 0002-00000007), as the service answers.
    pub fn expiring_sts_credentials(
        mut self,
        access_key_id: impl Into<String>,
        access_key_secret: impl Into<String>,
        token: impl Into<String>,
        expiration: std::time::SystemTime,
    ) -> Self {
        self.credentials.push(
            Credentials::new(access_key_id, access_key_secret).with_security_token(token).with_expiration(expiration),
        );
        self
    }

    /// Creates this bucket at start, if missing (repeatable).
    pub fn bucket(mut self, name: impl Into<String>) -> Self {
        self.buckets.push(name.into());
        self
    }

    /// The region V4 signatures must be scoped to (default `cn-hangzhou`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// Keeps buckets and objects under this directory, across restarts (default: in memory).
    pub fn root(mut self, root: impl Into<PathBuf>) -> Self {
        self.root = Some(root.into());
        self
    }

    /// The largest object allowed (default 5 GiB).
    pub fn max_object_size(mut self, bytes: u64) -> Self {
        self.max_object_size = bytes;
        self
    }

    /// Serves the admin endpoint under `/-/emulator/` (default off).
    pub fn admin(mut self, on: bool) -> Self {
        self.admin = on;
        self
    }

    /// The address to listen on (default `127.0.0.1:0`, a free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// How long a request body may stall before the request is abandoned (default 60 s).
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// How long a client may take to send a request's headers, and how long an idle kept-alive
    /// connection stays open (hyper times both the same way; default 120 s).
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout;
        self
    }

    /// Prints one line per request to standard error (default off).
    pub fn log_requests(mut self, on: bool) -> Self {
        self.log_requests = on;
        self
    }

    /// Serves HTTPS with this certificate chain and private key (PEM).
    pub fn tls_pem(mut self, chain_pem: impl Into<Vec<u8>>, key_pem: impl Into<Vec<u8>>) -> Self {
        self.tls = Some((chain_pem.into(), SecretPem(key_pem.into()), None));
        self
    }

    /// Serves HTTPS with a certificate for localhost, `*.localhost`, 127.0.0.1 and ::1 from a
    /// certificate authority made now; [`Emulator::ca_pem`] is the authority's certificate, for the
    /// client to trust.
    pub fn tls_generated(mut self) -> io::Result<Self> {
        let authority = tls::Authority::new().map_err(io::Error::other)?;
        let issued = authority.issue(tls::LOCAL_NAMES).map_err(io::Error::other)?;
        let ca = Some(authority.certificate_pem().to_string());
        self.tls = Some((issued.chain_pem.into_bytes(), SecretPem(issued.key_pem.into_bytes()), ca));
        Ok(self)
    }

    /// Threads serving connections (default: one per core).
    pub fn worker_threads(mut self, threads: usize) -> Self {
        self.worker_threads = Some(threads.max(1));
        self
    }

    /// Binds, loads the store, and serves on threads of its own until the [`Emulator`] is dropped.
    pub fn start(self) -> io::Result<Emulator> {
        if self.region.is_empty() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "the region must not be empty"));
        }
        let store = match &self.root {
            Some(root) => store::Store::open(root, self.max_object_size)?,
            None => store::Store::memory(self.max_object_size),
        };
        for bucket in &self.buckets {
            if !store::valid_bucket_name(bucket) {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("invalid bucket name \"{bucket}\"")));
            }
            store.create_bucket(bucket)?;
        }
        let mut keys = auth::Keys::default();
        for credentials in &self.credentials {
            keys.add(credentials.clone());
        }
        let shared = Arc::new(server::Shared::new(
            store,
            keys,
            self.region.clone(),
            self.admin,
            self.body_timeout,
            self.log_requests,
        ));

        let acceptor = match &self.tls {
            Some((chain, key, _)) => Some(tokio_rustls::TlsAcceptor::from(tls::server_config(chain, &key.0)?)),
            None => None,
        };
        let listener = TcpListener::bind(self.listen)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let mut runtime = tokio::runtime::Builder::new_multi_thread();
        runtime.enable_all().thread_name("oss-emulator");
        if let Some(threads) = self.worker_threads {
            runtime.worker_threads(threads);
        }
        let runtime = runtime.build()?;
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        let (stop, stopped) = watch::channel(false);
        let serving = shared.clone();
        let header_timeout = self.header_timeout;
        let thread = std::thread::Builder::new().name("oss-emulator-accept".into()).spawn(move || {
            runtime.block_on(serve(listener, serving, stopped, header_timeout, acceptor));
            runtime.shutdown_timeout(Duration::from_secs(1));
        })?;
        let ca_pem = self.tls.as_ref().and_then(|(_, _, ca)| ca.clone());
        Ok(Emulator {
            addr,
            shared,
            stop,
            thread: Some(thread),
            anonymous: self.credentials.is_empty(),
            https: self.tls.is_some(),
            ca_pem,
        })
    }
}

async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<server::Shared>,
    mut stopped: watch::Receiver<bool>,
    header_timeout: Duration,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
) {
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    // Out of file descriptors, or a connection reset before accept: wait and go on.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = stopped.changed() => return,
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let stopped = stopped.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            match acceptor {
                // A handshake that fails (a plain-HTTP client, an untrusting one) ends the connection.
                Some(acceptor) => {
                    if let Ok(Ok(tls)) = tokio::time::timeout(header_timeout, acceptor.accept(stream)).await {
                        connection(tls, shared, stopped, header_timeout).await
                    }
                }
                None => connection(stream, shared, stopped, header_timeout).await,
            }
        });
    }
}

/// Serves HTTP/1.1 on one connection, plain or TLS.
async fn connection<I>(io: I, shared: Arc<server::Shared>, mut stopped: watch::Receiver<bool>, header_timeout: Duration)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let io = wire::OssParseErrors::new(io, shared.clone());
    let service = service_fn(move |request| server::handle(shared.clone(), request));
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true)
        // A client that closes its sending side after its request still gets the answer.
        .half_close(true)
        .max_headers(200)
        .max_buf_size(1 << 20)
        .serve_connection(TokioIo::new(io), service);
    tokio::select! {
        _ = connection => {}
        _ = stopped.changed() => {}
    }
}

/// A running emulator. Dropping it stops the server.
#[derive(Debug)]
pub struct Emulator {
    addr: SocketAddr,
    shared: Arc<server::Shared>,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
    anonymous: bool,
    https: bool,
    ca_pem: Option<String>,
}

impl std::fmt::Debug for server::Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").field("region", &self.region).field("admin", &self.admin).finish_non_exhaustive()
    }
}

impl Emulator {
    /// A builder with the defaults: anonymous, in memory, no bucket, `cn-hangzhou`, 5 GiB objects.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// Shifts the server's clock by `seconds` (negative: behind this machine's), for the signature
    /// clock-skew check and the `Date` header of responses; tests use it to play a skewed server.
    pub fn set_clock_offset(&self, seconds: i64) {
        self.shared.set_clock_offset(seconds);
    }

    /// `http://127.0.0.1:PORT`, or `https://` when it serves TLS.
    pub fn endpoint(&self) -> String {
        format!("{}://{}", if self.https { "https" } else { "http" }, self.addr)
    }

    /// The certificate of the authority that issued its TLS certificate, when it made one
    /// ([`EmulatorBuilder::tls_generated`]): what a client is given to trust.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The address it listens on.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// The region V4 signatures are checked against.
    pub fn region(&self) -> &str {
        &self.shared.region
    }

    /// Whether it accepts unsigned requests (no credentials configured).
    pub fn is_anonymous(&self) -> bool {
        self.anonymous
    }

    /// The fault switches.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Every request received so far (admin requests aside), oldest first; at most the last
    /// [`MAX_RECORDED_REQUESTS`].
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.recorded().iter().cloned().collect()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        self.shared.recorded().clear();
    }

    /// An object's state: length, CRC, type, stored headers. `None` when it (or its bucket) does not exist.
    pub fn object(&self, bucket: &str, key: &str) -> Option<ObjectInfo> {
        self.shared.store.bucket(bucket)?.head(key)
    }

    /// An object's bytes.
    pub fn object_data(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        let (info, snapshot) = self.shared.store.bucket(bucket)?.read(key, |info| Some((0, info.length)))?;
        let mut out = Vec::with_capacity(info.length as usize);
        match snapshot? {
            store::Snapshot::Memory(parts) => parts.iter().for_each(|p| out.extend_from_slice(p)),
            store::Snapshot::Disk { file, offset, len } => {
                use std::os::unix::fs::FileExt;
                out.resize(len as usize, 0);
                file.read_exact_at(&mut out, offset).ok()?;
            }
        }
        Some(out)
    }

    /// Creates a bucket if missing; `Ok(true)` when it was created.
    pub fn create_bucket(&self, name: &str) -> io::Result<bool> {
        if !store::valid_bucket_name(name) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("invalid bucket name \"{name}\"")));
        }
        self.shared.store.create_bucket(name)
    }

    /// Stops the server and waits for its threads (as dropping it does).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown();
    }
}
