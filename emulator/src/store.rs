//! Buckets and objects, in memory or on disk.
//!
//! Every object sits behind its own lock: an append checks the position and commits under it, so
//! concurrent appenders to one object are serialized and exactly one wins a position.
//!
//! On disk (`root/<bucket>/`), an object is `<sha256(key)>.meta` (its metadata: length, CRC, headers,
//! the generation of its data file) and `<sha256(key)>.<generation>.data`. An append writes its bytes
//! at the recorded length, then publishes the new length and CRC by renaming a new `.meta` into place;
//! bytes past the recorded length (left by a crash between the two steps) are never read and are
//! overwritten by the next append. A PutObject writes a new generation's data file, publishes it the
//! same way, then removes the old one. At start, files no metadata points at are removed.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use oss_append::crc64;
use oss_append::sign::encode_component;
use sha2::{Digest, Sha256};

use crate::pool::BufferPool;

/// Free body buffers kept for reuse.
const POOL_LIMIT: usize = 1 << 30;

/// How an object was created, as `x-oss-object-type` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectType {
    /// Created by PutObject: cannot be appended to.
    Normal,
    /// Created by AppendObject.
    Appendable,
}

impl ObjectType {
    /// `Normal` or `Appendable`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ObjectType::Normal => "Normal",
            ObjectType::Appendable => "Appendable",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "Normal" => Some(ObjectType::Normal),
            "Appendable" => Some(ObjectType::Appendable),
            _ => None,
        }
    }
}

/// An object's state, as a test sees it through [`crate::Emulator::object`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Object key.
    pub key: String,
    /// Normal or Appendable.
    pub object_type: ObjectType,
    /// Length in bytes (for an appendable object, the next append position).
    pub length: u64,
    /// CRC-64/XZ of the whole object.
    pub crc64: u64,
    /// ETag as sent in responses, with its quotes.
    pub etag: String,
    /// Time of the last write.
    pub last_modified: SystemTime,
    /// The headers kept from the request that created the object, lower-case names: `content-type`,
    /// `cache-control`, `content-disposition`, `content-encoding`, `expires`, `x-oss-object-acl`,
    /// `x-oss-storage-class`, `x-oss-server-side-encryption`, `x-oss-tagging`, `x-oss-meta-*`.
    pub headers: Vec<(String, String)>,
}

impl ObjectInfo {
    /// A stored header, by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The Content-Type (`application/octet-stream` when none was given).
    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("application/octet-stream")
    }

    /// The storage class (`Standard` when none was given).
    pub fn storage_class(&self) -> &str {
        self.header("x-oss-storage-class").unwrap_or("Standard")
    }

    /// User metadata: `x-oss-meta-*` headers with the prefix removed.
    pub fn metadata(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .filter_map(|(n, v)| n.strip_prefix("x-oss-meta-").map(|n| (n.to_string(), v.clone())))
            .collect()
    }
}

/// The ETag of an appendable object: it changes with every append. The service does not document how
/// it computes it; hashing the content again on every append would cost more than the append itself,
/// so this one is made of the CRC and the length.
fn appendable_etag(crc: u64, length: u64) -> String {
    format!("\"{crc:016X}{length:016X}\"")
}

/// Bytes of an in-memory object: the bodies as they arrived, never copied again.
#[derive(Debug, Clone, Default)]
struct Chunks {
    parts: Vec<Bytes>,
    /// `ends[i]`: offset just past `parts[i]`.
    ends: Vec<u64>,
}

impl Chunks {
    fn len(&self) -> u64 {
        self.ends.last().copied().unwrap_or(0)
    }

    fn push(&mut self, data: Bytes) {
        if data.is_empty() {
            return;
        }
        let end = self.len() + data.len() as u64;
        self.parts.push(data);
        self.ends.push(end);
    }

    /// The parts covering `start..start + len`, sliced without copying.
    fn slice(&self, start: u64, len: u64) -> Vec<Bytes> {
        let mut out = Vec::new();
        let end = start + len;
        let mut i = self.ends.partition_point(|&e| e <= start);
        while i < self.parts.len() && len > 0 {
            let part_start = self.ends[i] - self.parts[i].len() as u64;
            if part_start >= end {
                break;
            }
            let from = start.saturating_sub(part_start) as usize;
            let to = (end.min(self.ends[i]) - part_start) as usize;
            out.push(self.parts[i].slice(from..to));
            i += 1;
        }
        out
    }
}

#[derive(Debug)]
enum Data {
    Memory(Chunks),
    Disk { generation: u64, file: Arc<File> },
}

#[derive(Debug)]
struct Object {
    info: ObjectInfo,
    data: Data,
}

/// One key's slot: `None` while the object does not exist.
#[derive(Debug, Default)]
struct Entry {
    slot: Mutex<Option<Object>>,
}

impl Entry {
    fn lock(&self) -> MutexGuard<'_, Option<Object>> {
        self.slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// What a read gets: a consistent view of the object's bytes at one moment.
#[derive(Debug, Clone)]
pub enum Snapshot {
    /// In-memory parts.
    Memory(Vec<Bytes>),
    /// A range of a data file.
    Disk {
        /// The data file, still readable if replaced or deleted meanwhile.
        file: Arc<File>,
        /// First byte.
        offset: u64,
        /// Number of bytes.
        len: u64,
    },
}

/// Why an append was refused.
#[derive(Debug)]
pub enum AppendError {
    /// The object is Normal (or Multipart).
    NotAppendable,
    /// The position is not the object's length.
    PositionNotEqualToLength {
        /// The object's length (0 when it does not exist).
        length: u64,
        /// The object's CRC.
        crc64: u64,
    },
    /// The object would pass the size limit.
    TooLarge {
        /// The object's length now.
        length: u64,
    },
    /// Writing failed.
    Io(io::Error),
}

/// Why a PutObject was refused.
#[derive(Debug)]
pub enum PutError {
    /// `x-oss-forbid-overwrite: true` and the object exists.
    AlreadyExists,
    /// Writing failed.
    Io(io::Error),
}

/// Why a DeleteBucket was refused.
#[derive(Debug)]
pub enum DeleteBucketError {
    /// The bucket does not exist.
    NoSuchBucket,
    /// The bucket holds objects.
    NotEmpty,
    /// Removing its directory failed.
    Io(io::Error),
}

/// A bucket and its objects.
#[derive(Debug)]
pub struct Bucket {
    name: String,
    created: SystemTime,
    dir: Option<PathBuf>,
    objects: RwLock<BTreeMap<String, Arc<Entry>>>,
    generation: Arc<AtomicU64>,
    max_object_size: u64,
}

fn key_hash(key: &str) -> String {
    Sha256::digest(key.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

impl Bucket {
    /// The bucket's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// When it was created.
    pub fn created(&self) -> SystemTime {
        self.created
    }

    fn entry(&self, key: &str, create: bool) -> Option<Arc<Entry>> {
        if let Some(entry) = self.objects.read().unwrap_or_else(|p| p.into_inner()).get(key) {
            return Some(entry.clone());
        }
        if !create {
            return None;
        }
        let mut objects = self.objects.write().unwrap_or_else(|p| p.into_inner());
        Some(objects.entry(key.to_string()).or_default().clone())
    }

    fn meta_path(&self, key: &str) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(format!("{}.meta", key_hash(key))))
    }

    fn data_path(&self, key: &str, generation: u64) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(format!("{}.{generation}.data", key_hash(key))))
    }

    /// Writes the metadata to a temporary file and renames it into place: the commit point on disk.
    fn publish(&self, info: &ObjectInfo, generation: u64) -> io::Result<()> {
        let Some(path) = self.meta_path(&info.key) else { return Ok(()) };
        let tmp = path.with_extension("meta.tmp");
        let mut file = File::create(&tmp)?;
        file.write_all(encode_meta(info, generation).as_bytes())?;
        drop(file);
        fs::rename(&tmp, &path)
    }

    fn new_data_file(&self, key: &str) -> io::Result<(u64, Arc<File>)> {
        let generation = self.generation.fetch_add(1, Ordering::Relaxed);
        let path = self.data_path(key, generation).expect("disk bucket");
        let file = OpenOptions::new().read(true).write(true).create(true).truncate(true).open(path)?;
        Ok((generation, Arc::new(file)))
    }

    /// Appends `body` (whose CRC is `body_crc`) at `position`; creates the object, with `headers`, when
    /// it does not exist and `position` is 0.
    pub fn append(
        &self,
        key: &str,
        position: u64,
        body: Bytes,
        body_crc: u64,
        headers: Vec<(String, String)>,
    ) -> Result<ObjectInfo, AppendError> {
        let entry = self.entry(key, true).expect("created");
        let mut slot = entry.lock();
        let (length, crc) = match slot.as_ref() {
            Some(object) if object.info.object_type != ObjectType::Appendable => {
                return Err(AppendError::NotAppendable)
            }
            Some(object) => (object.info.length, object.info.crc64),
            None => (0, 0),
        };
        if position != length {
            return Err(AppendError::PositionNotEqualToLength { length, crc64: crc });
        }
        let body_len = body.len() as u64;
        if length.checked_add(body_len).is_none_or(|total| total > self.max_object_size) {
            return Err(AppendError::TooLarge { length });
        }
        let new_length = length + body_len;
        let new_crc = crc64::combine(crc, body_crc, body_len);
        let now = SystemTime::now();
        match slot.as_mut() {
            Some(object) => {
                let mut info = object.info.clone();
                info.length = new_length;
                info.crc64 = new_crc;
                info.etag = appendable_etag(new_crc, new_length);
                info.last_modified = now;
                match &mut object.data {
                    Data::Memory(chunks) => chunks.push(body),
                    Data::Disk { generation, file } => {
                        file.write_all_at(&body, length).map_err(AppendError::Io)?;
                        self.publish(&info, *generation).map_err(AppendError::Io)?;
                    }
                }
                object.info = info;
                Ok(object.info.clone())
            }
            None => {
                let info = ObjectInfo {
                    key: key.to_string(),
                    object_type: ObjectType::Appendable,
                    length: new_length,
                    crc64: new_crc,
                    etag: appendable_etag(new_crc, new_length),
                    last_modified: now,
                    headers,
                };
                let data = if self.dir.is_some() {
                    let (generation, file) = self.new_data_file(key).map_err(AppendError::Io)?;
                    file.write_all_at(&body, 0).map_err(AppendError::Io)?;
                    self.publish(&info, generation).map_err(AppendError::Io)?;
                    Data::Disk { generation, file }
                } else {
                    let mut chunks = Chunks::default();
                    chunks.push(body);
                    Data::Memory(chunks)
                };
                *slot = Some(Object { info: info.clone(), data });
                Ok(info)
            }
        }
    }

    /// Stores a Normal object, replacing whatever was there.
    pub fn put(
        &self,
        key: &str,
        body: Bytes,
        crc: u64,
        etag: String,
        headers: Vec<(String, String)>,
        forbid_overwrite: bool,
    ) -> Result<ObjectInfo, PutError> {
        let entry = self.entry(key, true).expect("created");
        let mut slot = entry.lock();
        if forbid_overwrite && slot.is_some() {
            return Err(PutError::AlreadyExists);
        }
        let info = ObjectInfo {
            key: key.to_string(),
            object_type: ObjectType::Normal,
            length: body.len() as u64,
            crc64: crc,
            etag,
            last_modified: SystemTime::now(),
            headers,
        };
        let data = if self.dir.is_some() {
            let (generation, file) = self.new_data_file(key).map_err(PutError::Io)?;
            file.write_all_at(&body, 0).map_err(PutError::Io)?;
            self.publish(&info, generation).map_err(PutError::Io)?;
            if let Some(Object { data: Data::Disk { generation: old, .. }, .. }) = slot.as_ref() {
                let _ = fs::remove_file(self.data_path(key, *old).expect("disk bucket"));
            }
            Data::Disk { generation, file }
        } else {
            let mut chunks = Chunks::default();
            chunks.push(body);
            Data::Memory(chunks)
        };
        *slot = Some(Object { info: info.clone(), data });
        Ok(info)
    }

    /// The object's metadata.
    pub fn head(&self, key: &str) -> Option<ObjectInfo> {
        let entry = self.entry(key, false)?;
        let slot = entry.lock();
        slot.as_ref().map(|o| o.info.clone())
    }

    /// The object's metadata and its bytes `range` (start, length), chosen from the metadata by `pick`
    /// while the object cannot change. `pick` returns `None` for "no bytes wanted".
    pub fn read(
        &self,
        key: &str,
        pick: impl FnOnce(&ObjectInfo) -> Option<(u64, u64)>,
    ) -> Option<(ObjectInfo, Option<Snapshot>)> {
        let entry = self.entry(key, false)?;
        let slot = entry.lock();
        let object = slot.as_ref()?;
        let snapshot = pick(&object.info).map(|(start, len)| match &object.data {
            Data::Memory(chunks) => Snapshot::Memory(chunks.slice(start, len)),
            Data::Disk { file, .. } => Snapshot::Disk { file: file.clone(), offset: start, len },
        });
        Some((object.info.clone(), snapshot))
    }

    /// Deletes the object; deleting a missing object is not an error.
    pub fn delete(&self, key: &str) -> io::Result<()> {
        let Some(entry) = self.entry(key, false) else { return Ok(()) };
        let mut slot = entry.lock();
        if let Some(object) = slot.as_ref() {
            if let Data::Disk { generation, .. } = &object.data {
                match fs::remove_file(self.meta_path(key).expect("disk bucket")) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                }
                let _ = fs::remove_file(self.data_path(key, *generation).expect("disk bucket"));
            }
        }
        *slot = None;
        Ok(())
    }

    /// Objects whose key starts with `prefix` and sorts after `after` (when given), in key order, at most
    /// `limit` of them plus whether more follow.
    pub fn list(&self, prefix: &str, after: Option<&str>, mut visit: impl FnMut(&ObjectInfo) -> bool) {
        let objects = self.objects.read().unwrap_or_else(|p| p.into_inner());
        let start = match after {
            Some(after) if after >= prefix => std::ops::Bound::Excluded(after.to_string()),
            _ => std::ops::Bound::Included(prefix.to_string()),
        };
        for (key, entry) in objects.range((start, std::ops::Bound::Unbounded)) {
            if !key.starts_with(prefix) {
                break;
            }
            let slot = entry.lock();
            if let Some(object) = slot.as_ref() {
                if !visit(&object.info) {
                    break;
                }
            }
        }
    }

    fn is_empty(&self) -> bool {
        let objects = self.objects.read().unwrap_or_else(|p| p.into_inner());
        objects.values().all(|entry| entry.lock().is_none())
    }
}

/// All buckets.
#[derive(Debug)]
pub struct Store {
    pool: Arc<BufferPool>,
    root: Option<PathBuf>,
    buckets: RwLock<BTreeMap<String, Arc<Bucket>>>,
    generation: Arc<AtomicU64>,
    max_object_size: u64,
}

impl Store {
    /// An empty store in memory.
    pub fn memory(max_object_size: u64) -> Self {
        Store {
            pool: BufferPool::new(POOL_LIMIT),
            root: None,
            buckets: RwLock::new(BTreeMap::new()),
            generation: Arc::new(AtomicU64::new(1)),
            max_object_size,
        }
    }

    /// The store kept under `root` (created when missing), with everything already there.
    pub fn open(root: &Path, max_object_size: u64) -> io::Result<Self> {
        fs::create_dir_all(root)?;
        let generation = Arc::new(AtomicU64::new(1));
        let mut buckets = BTreeMap::new();
        let mut max_generation = 0;
        for dir in fs::read_dir(root)? {
            let dir = dir?;
            let name = dir.file_name().to_string_lossy().into_owned();
            if !dir.file_type()?.is_dir() || !valid_bucket_name(&name) {
                continue;
            }
            let created = dir.metadata()?.created().or_else(|_| dir.metadata()?.modified()).unwrap_or(UNIX_EPOCH);
            let (objects, bucket_max) = load_bucket(&dir.path())?;
            max_generation = max_generation.max(bucket_max);
            let bucket = Bucket {
                name: name.clone(),
                created,
                dir: Some(dir.path()),
                objects: RwLock::new(objects),
                generation: generation.clone(),
                max_object_size,
            };
            buckets.insert(name, Arc::new(bucket));
        }
        generation.store(max_generation + 1, Ordering::Relaxed);
        Ok(Store {
            pool: BufferPool::new(POOL_LIMIT),
            root: Some(root.to_path_buf()),
            buckets: RwLock::new(buckets),
            generation,
            max_object_size,
        })
    }

    /// Whether objects are kept on disk.
    pub fn on_disk(&self) -> bool {
        self.root.is_some()
    }

    /// Buffers for request bodies.
    pub fn pool(&self) -> &Arc<BufferPool> {
        &self.pool
    }

    /// The size limit of an object.
    pub fn max_object_size(&self) -> u64 {
        self.max_object_size
    }

    /// A bucket, if it exists.
    pub fn bucket(&self, name: &str) -> Option<Arc<Bucket>> {
        self.buckets.read().unwrap_or_else(|p| p.into_inner()).get(name).cloned()
    }

    /// All buckets, by name.
    pub fn buckets(&self) -> Vec<Arc<Bucket>> {
        self.buckets.read().unwrap_or_else(|p| p.into_inner()).values().cloned().collect()
    }

    /// Creates a bucket; `Ok(false)` when it already existed.
    pub fn create_bucket(&self, name: &str) -> io::Result<bool> {
        let mut buckets = self.buckets.write().unwrap_or_else(|p| p.into_inner());
        if buckets.contains_key(name) {
            return Ok(false);
        }
        let dir = match &self.root {
            Some(root) => {
                let dir = root.join(name);
                fs::create_dir_all(&dir)?;
                sync_dir(root);
                Some(dir)
            }
            None => None,
        };
        let bucket = Bucket {
            name: name.to_string(),
            created: SystemTime::now(),
            dir,
            objects: RwLock::new(BTreeMap::new()),
            generation: self.generation.clone(),
            max_object_size: self.max_object_size,
        };
        buckets.insert(name.to_string(), Arc::new(bucket));
        Ok(true)
    }

    /// Deletes an empty bucket.
    pub fn delete_bucket(&self, name: &str) -> Result<(), DeleteBucketError> {
        let mut buckets = self.buckets.write().unwrap_or_else(|p| p.into_inner());
        let bucket = buckets.get(name).ok_or(DeleteBucketError::NoSuchBucket)?;
        if !bucket.is_empty() {
            return Err(DeleteBucketError::NotEmpty);
        }
        if let Some(dir) = &bucket.dir {
            fs::remove_dir_all(dir).map_err(DeleteBucketError::Io)?;
        }
        buckets.remove(name);
        Ok(())
    }
}

/// Bucket names as OSS allows them: 3 to 63 lower-case letters, digits and hyphens, not starting or
/// ending with a hyphen.
pub fn valid_bucket_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

fn unix_nanos(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}

fn encode_meta(info: &ObjectInfo, generation: u64) -> String {
    let mut out = String::with_capacity(256);
    out.push_str("oss-emulator-object 1\n");
    out.push_str(&format!("key {}\n", encode_component(&info.key)));
    out.push_str(&format!("type {}\n", info.object_type.as_str()));
    out.push_str(&format!("length {}\n", info.length));
    out.push_str(&format!("crc64 {}\n", info.crc64));
    out.push_str(&format!("etag {}\n", encode_component(&info.etag)));
    out.push_str(&format!("modified {}\n", unix_nanos(info.last_modified)));
    out.push_str(&format!("generation {generation}\n"));
    for (name, value) in &info.headers {
        out.push_str(&format!("header {} {}\n", encode_component(name), encode_component(value)));
    }
    out
}

fn decode(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(s).decode_utf8().ok().map(|s| s.into_owned())
}

fn decode_meta(text: &str) -> Option<(ObjectInfo, u64)> {
    let mut lines = text.lines();
    if lines.next()? != "oss-emulator-object 1" {
        return None;
    }
    let (mut key, mut object_type, mut length, mut crc64, mut etag, mut modified, mut generation) =
        (None, None, None, None, None, None, None);
    let mut headers = Vec::new();
    for line in lines {
        let (field, value) = line.split_once(' ')?;
        match field {
            "key" => key = decode(value),
            "type" => object_type = ObjectType::parse(value),
            "length" => length = value.parse::<u64>().ok(),
            "crc64" => crc64 = value.parse::<u64>().ok(),
            "etag" => etag = decode(value),
            "modified" => modified = value.parse::<u64>().ok(),
            "generation" => generation = value.parse::<u64>().ok(),
            "header" => {
                let (name, value) = value.split_once(' ')?;
                headers.push((decode(name)?, decode(value)?));
            }
            _ => {}
        }
    }
    let modified = modified.unwrap_or(0);
    let info = ObjectInfo {
        key: key?,
        object_type: object_type?,
        length: length?,
        crc64: crc64?,
        etag: etag?,
        last_modified: UNIX_EPOCH
            + Duration::from_secs(modified / 1_000_000_000)
            + Duration::from_nanos(modified % 1_000_000_000),
        headers,
    };
    Some((info, generation?))
}

/// Loads a bucket directory: every published object, and removes what no metadata points at
/// (temporary files and data files of unpublished or replaced generations).
fn load_bucket(dir: &Path) -> io::Result<(BTreeMap<String, Arc<Entry>>, u64)> {
    let mut objects = BTreeMap::new();
    let mut live_data = std::collections::HashSet::new();
    let mut max_generation = 0;
    let mut others = Vec::new();
    for file in fs::read_dir(dir)? {
        let file = file?;
        let name = file.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".meta") {
            others.push((name, file.path()));
            continue;
        }
        let text = fs::read_to_string(file.path())?;
        let Some((info, generation)) = decode_meta(&text) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("unreadable object metadata {}", file.path().display()),
            ));
        };
        let data_name = format!("{}.{generation}.data", key_hash(&info.key));
        let data_file = OpenOptions::new().read(true).write(true).open(dir.join(&data_name))?;
        if data_file.metadata()?.len() < info.length {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("data file {data_name} is shorter than its recorded length {}", info.length),
            ));
        }
        live_data.insert(data_name);
        max_generation = max_generation.max(generation);
        let key = info.key.clone();
        let object = Object { info, data: Data::Disk { generation, file: Arc::new(data_file) } };
        objects.insert(key, Arc::new(Entry { slot: Mutex::new(Some(object)) }));
    }
    for (name, path) in others {
        if !live_data.contains(&name) {
            if let Some(generation) = name.strip_suffix(".data").and_then(|n| n.rsplit('.').next()) {
                max_generation = max_generation.max(generation.parse().unwrap_or(0));
            }
            let _ = fs::remove_file(path);
        }
    }
    Ok((objects, max_generation))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory_bucket() -> Arc<Bucket> {
        let store = Store::memory(100);
        store.create_bucket("bucket").unwrap();
        store.bucket("bucket").unwrap()
    }

    #[test]
    fn chunk_slices_cross_parts() {
        let mut chunks = Chunks::default();
        chunks.push(Bytes::from_static(b"abc"));
        chunks.push(Bytes::from_static(b"defg"));
        chunks.push(Bytes::from_static(b"hi"));
        let join = |v: Vec<Bytes>| v.iter().flat_map(|b| b.to_vec()).collect::<Vec<u8>>();
        assert_eq!(join(chunks.slice(0, 9)), b"abcdefghi");
        assert_eq!(join(chunks.slice(2, 4)), b"cdef");
        assert_eq!(join(chunks.slice(3, 4)), b"defg");
        assert_eq!(join(chunks.slice(8, 1)), b"i");
        assert_eq!(join(chunks.slice(4, 0)), b"");
    }

    #[test]
    fn appends_check_position_type_and_size() {
        let bucket = memory_bucket();
        let a = bucket.append("k", 0, Bytes::from_static(b"hello"), crc64::checksum(b"hello"), vec![]).unwrap();
        assert_eq!((a.length, a.crc64), (5, crc64::checksum(b"hello")));
        match bucket.append("k", 3, Bytes::new(), 0, vec![]) {
            Err(AppendError::PositionNotEqualToLength { length: 5, crc64 }) => {
                assert_eq!(crc64, crc64::checksum(b"hello"))
            }
            other => panic!("{other:?}"),
        }
        let b = bucket.append("k", 5, Bytes::from_static(b" world"), crc64::checksum(b" world"), vec![]).unwrap();
        assert_eq!(b.crc64, crc64::checksum(b"hello world"));
        assert!(matches!(
            bucket.append("k", 11, Bytes::from(vec![0; 90]), 0, vec![]),
            Err(AppendError::TooLarge { length: 11 })
        ));
        bucket.put("n", Bytes::from_static(b"x"), 0, "\"e\"".into(), vec![], false).unwrap();
        assert!(matches!(bucket.append("n", 1, Bytes::new(), 0, vec![]), Err(AppendError::NotAppendable)));
    }

    #[test]
    fn meta_round_trips() {
        let info = ObjectInfo {
            key: "dir/a b+ü%?#".into(),
            object_type: ObjectType::Appendable,
            length: 12,
            crc64: u64::MAX,
            etag: "\"AB\"".into(),
            last_modified: UNIX_EPOCH + Duration::from_nanos(1_700_000_000_123_456_789),
            headers: vec![("x-oss-meta-a".into(), "v 1\n2".into())],
        };
        assert_eq!(decode_meta(&encode_meta(&info, 7)), Some((info, 7)));
    }
}
