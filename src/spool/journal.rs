//! The spool's journal: segment files of checksummed records, each carrying its offset in the
//! spool's byte stream.
//!
//! A record is `magic u32 | length u32 | offset u64 | mark length u16 | crc64 u64 | mark | payload`
//! (little endian). The CRC-64 covers everything after the magic but itself: length, offset, mark
//! length, mark and payload. `offset` is where the payload's first byte sits in the stream of all bytes
//! ever written to the spool; a payload goes to OSS as it is, the mark (the application's cursor,
//! e.g. a followed file's read offset) never does. Segments are named by the offset of their first
//! record, `<offset, 20 digits>.seg`, and are only ever appended to; a segment whose records are all
//! in OSS (or dropped) is deleted.
//!
//! Recovery scans every segment: a record that does not check is skipped by searching for the next
//! one that does; the damaged segment is copied to `quarantine/` and rewritten with its good records,
//! and the bytes lost are counted. A damaged tail of the last segment (a write torn by a crash) is cut.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::crc64::Crc64;

const MAGIC: u32 = 0x4C50_534F; // "OSPL"
pub(crate) const HEADER: usize = 4 + 4 + 8 + 2 + 8;
/// The longest mark a record may carry.
pub(crate) const MAX_MARK: usize = u16::MAX as usize;

/// One record, as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub offset: u64,
    pub mark: Vec<u8>,
    pub payload: Vec<u8>,
}

impl Recovery {
    /// The damaged stream bytes at `offset` or after (bytes before it were sent before they went
    /// bad).
    pub(crate) fn corrupt_from(&self, offset: u64) -> u64 {
        self.corrupt.iter().map(|&(start, end)| end.saturating_sub(start.max(offset))).sum()
    }
}

impl Record {
    pub(crate) fn end(&self) -> u64 {
        self.offset + self.payload.len() as u64
    }
}

fn checksum(length: u32, offset: u64, mark: &[u8], payload: &[u8]) -> u64 {
    let mut crc = Crc64::new();
    crc.update(&length.to_le_bytes());
    crc.update(&offset.to_le_bytes());
    crc.update(&(mark.len() as u16).to_le_bytes());
    crc.update(mark);
    crc.update(payload);
    crc.value()
}

/// The bytes of a record.
pub(crate) fn encode(offset: u64, mark: &[u8], payload: &[u8], out: &mut Vec<u8>) {
    let length = payload.len() as u32;
    out.extend_from_slice(&MAGIC.to_le_bytes());
    out.extend_from_slice(&length.to_le_bytes());
    out.extend_from_slice(&offset.to_le_bytes());
    out.extend_from_slice(&(mark.len() as u16).to_le_bytes());
    out.extend_from_slice(&checksum(length, offset, mark, payload).to_le_bytes());
    out.extend_from_slice(mark);
    out.extend_from_slice(payload);
}

/// Parses the record at the start of `bytes`: `Some((record, size))` when a whole, valid one is there.
pub(crate) fn decode(bytes: &[u8]) -> Option<(Record, usize)> {
    if bytes.len() < HEADER || u32::from_le_bytes(bytes[0..4].try_into().ok()?) != MAGIC {
        return None;
    }
    let length = u32::from_le_bytes(bytes[4..8].try_into().ok()?);
    let offset = u64::from_le_bytes(bytes[8..16].try_into().ok()?);
    let mark_len = u16::from_le_bytes(bytes[16..18].try_into().ok()?) as usize;
    let crc = u64::from_le_bytes(bytes[18..26].try_into().ok()?);
    let size = HEADER.checked_add(mark_len)?.checked_add(usize::try_from(length).ok()?)?;
    if bytes.len() < size {
        return None;
    }
    let mark = &bytes[HEADER..HEADER + mark_len];
    let payload = &bytes[HEADER + mark_len..size];
    (checksum(length, offset, mark, payload) == crc)
        .then(|| (Record { offset, mark: mark.to_vec(), payload: payload.to_vec() }, size))
}

pub(crate) fn segment_name(first_offset: u64) -> String {
    format!("{first_offset:020}.seg")
}

fn segment_offset(path: &Path) -> Option<u64> {
    let name = path.file_name()?.to_str()?;
    let digits = name.strip_suffix(".seg")?;
    (digits.len() == 20).then(|| digits.parse().ok()).flatten()
}

/// A segment file: where its records start and end in the stream, and its size on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Segment {
    pub first_offset: u64,
    /// The offset after its last record.
    pub end_offset: u64,
    /// The payload bytes of its records (less than `end_offset - first_offset` after a repair).
    pub payload_bytes: u64,
    pub file_bytes: u64,
    pub path: PathBuf,
}

/// What recovery found and repaired.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Recovery {
    /// Stream ranges `[start, end)` lost to damaged records in the middle of the journal
    /// (quarantined).
    pub corrupt: Vec<(u64, u64)>,
    /// Segments copied to `quarantine/` before their good records were kept.
    pub quarantined: Vec<PathBuf>,
    /// File bytes cut from the end of the last segment (a write torn by a crash).
    pub torn_bytes: u64,
    /// The mark of the last record that carried one.
    pub last_mark: Option<Vec<u8>>,
    /// Stream offsets where a damaged closed segment's good records ended.
    pub damaged_ends: Vec<u64>,
}

/// The segments in `dir`, oldest first.
pub(crate) fn list_segments(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut found: Vec<(u64, PathBuf)> = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if let Some(offset) = segment_offset(&path) {
            found.push((offset, path));
        }
    }
    found.sort_unstable();
    Ok(found.into_iter().map(|(_, path)| path).collect())
}

/// Reads and checks every segment of `dir`, repairing damage; returns the segments and what was found.
///
/// A segment's records are contiguous in the stream; a repaired segment whose good records have a
/// gap between them is split into one file a run, so that a later recovery finds nothing to repair.
pub(crate) fn recover(dir: &Path, quarantine: &Path) -> io::Result<(Vec<Segment>, Recovery)> {
    let paths = list_segments(dir)?;
    let mut recovery = Recovery::default();
    let mut segments: Vec<Segment> = Vec::new();
    let count = paths.len();
    for (index, path) in paths.into_iter().enumerate() {
        let last = index + 1 == count;
        let mut bytes = Vec::new();
        File::open(&path)?.read_to_end(&mut bytes)?;
        let named_offset = segment_offset(&path).unwrap_or(0);
        // Runs of contiguous good records: (segment, where its records are in `bytes`). The bytes are
        // copied only when the segment is rewritten.
        let mut runs: Vec<(Segment, Vec<std::ops::Range<usize>>)> = Vec::new();
        let mut at = 0;
        let mut damaged = false;
        while at < bytes.len() {
            let expected = runs.last().map(|(s, _)| s.end_offset);
            match decode(&bytes[at..]) {
                Some((record, size)) if expected.is_none_or(|e| record.offset >= e) => {
                    if !record.mark.is_empty() {
                        recovery.last_mark = Some(record.mark.clone());
                    }
                    let contiguous = expected == Some(record.offset);
                    if !contiguous {
                        // Records are contiguous in a segment, from the offset in its name: a gap
                        // is damage that was skipped.
                        let from = expected.unwrap_or(named_offset);
                        if record.offset > from {
                            recovery.corrupt.push((from, record.offset));
                        }
                        let path = if runs.is_empty() { path.clone() } else { dir.join(segment_name(record.offset)) };
                        let segment = Segment {
                            first_offset: record.offset,
                            end_offset: record.offset,
                            payload_bytes: 0,
                            file_bytes: 0,
                            path,
                        };
                        runs.push((segment, Vec::new()));
                    }
                    let (segment, ranges) = runs.last_mut().expect("a run");
                    segment.end_offset = record.end();
                    segment.payload_bytes += record.payload.len() as u64;
                    segment.file_bytes += size as u64;
                    match ranges.last_mut() {
                        Some(range) if range.end == at => range.end = at + size,
                        _ => ranges.push(at..at + size),
                    }
                    at += size;
                }
                _ => {
                    // The next record that checks; none: the rest is a damaged tail.
                    let found = (at + 1..bytes.len())
                        .find(|&p| decode(&bytes[p..]).is_some_and(|(r, _)| expected.is_none_or(|e| r.offset >= e)));
                    match found {
                        Some(next) => {
                            damaged = true;
                            at = next;
                        }
                        None => {
                            if last {
                                recovery.torn_bytes += (bytes.len() - at) as u64;
                            } else {
                                // A closed segment does not end in a torn write: its end is damage,
                                // counted with the gap to the next segment below.
                                damaged = true;
                            }
                            break;
                        }
                    }
                }
            }
        }
        let rewritten = damaged || runs.iter().map(|(s, _)| s.file_bytes).sum::<u64>() != bytes.len() as u64;
        if damaged {
            fs::create_dir_all(quarantine)?;
            let copy = quarantine.join(path.file_name().unwrap_or_default());
            fs::copy(&path, &copy)?;
            recovery.quarantined.push(copy);
        }
        if rewritten {
            let run_bytes = |ranges: &[std::ops::Range<usize>]| -> Vec<u8> {
                ranges.iter().flat_map(|range| &bytes[range.clone()]).copied().collect()
            };
            // New files for the runs after the first, then the first in place of the original.
            for (segment, ranges) in runs.iter().skip(1) {
                replace_file(&segment.path, &run_bytes(ranges))?;
            }
            match runs.first() {
                Some((_, ranges)) => replace_file(&path, &run_bytes(ranges))?,
                None if last => replace_file(&path, &[])?,
                None => {}
            }
        }
        let was_damaged = damaged && !last;
        if runs.is_empty() {
            if last {
                // Nothing good left: an empty segment is only worth keeping as the last one.
                segments.push(Segment {
                    first_offset: named_offset,
                    end_offset: named_offset,
                    payload_bytes: 0,
                    file_bytes: 0,
                    path,
                });
            } else {
                fs::remove_file(&path)?;
                sync_dir(dir)?;
            }
        }
        for (segment, _) in runs {
            segments.push(segment);
        }
        // A damaged closed segment's lost end is the gap before the next segment: remember where.
        if was_damaged {
            recovery.damaged_ends.push(segments.last().map_or(named_offset, |s| s.end_offset));
        }
    }
    for pair in segments.windows(2) {
        if recovery.damaged_ends.contains(&pair[0].end_offset) && pair[1].first_offset > pair[0].end_offset {
            recovery.corrupt.push((pair[0].end_offset, pair[1].first_offset));
        }
    }
    Ok((segments, recovery))
}

/// Writes `bytes` as the whole content of `path`, atomically: a temporary file, fsynced, renamed over.
pub(crate) fn replace_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// Makes a directory's entries (creations, renames, deletions) durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// The segment being written.
pub(crate) struct Active {
    pub file: File,
    pub segment: Segment,
}

impl Active {
    /// Opens the last segment for appending, or makes the first one.
    pub(crate) fn open(dir: &Path, last: Option<&Segment>, next_offset: u64) -> io::Result<Self> {
        match last {
            Some(segment) => {
                let file = OpenOptions::new().append(true).open(&segment.path)?;
                Ok(Self { file, segment: segment.clone() })
            }
            None => Self::create(dir, next_offset),
        }
    }

    /// Makes a new, empty segment whose first record will be at `first_offset`.
    pub(crate) fn create(dir: &Path, first_offset: u64) -> io::Result<Self> {
        let path = dir.join(segment_name(first_offset));
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        sync_dir(dir)?;
        Ok(Self {
            file,
            segment: Segment { first_offset, end_offset: first_offset, payload_bytes: 0, file_bytes: 0, path },
        })
    }
}

/// Reads records in stream order, from one offset on, across segments.
#[derive(Default)]
pub(crate) struct Reader {
    /// The segment being read and the byte position in it.
    file: Option<(u64, File, u64)>,
}

impl Reader {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Positions the reader on the first record whose offset is `offset` or more, in `segments` (at
    /// the end of the last segment when `offset` is the journal's end).
    pub(crate) fn seek(&mut self, segments: &[Segment], offset: u64) -> io::Result<()> {
        self.file = None;
        let found = segments.iter().position(|s| s.end_offset > offset);
        let Some(index) = found.or(segments.len().checked_sub(1)) else { return Ok(()) };
        let segment = &segments[index];
        let mut file = File::open(&segment.path)?;
        let mut pos = 0u64;
        // Skip whole records before `offset`.
        loop {
            match read_record(&mut file, pos)? {
                Some((record, size)) if record.end() <= offset => pos += size as u64,
                _ => break,
            }
        }
        self.file = Some((segment.first_offset, file, pos));
        Ok(())
    }

    /// The next record, if one is there (at most up to `limit`, the offset the writer has published),
    /// moving on to the next segment of `segments` at the end of one.
    pub(crate) fn next(&mut self, segments: &[Segment], limit: u64) -> io::Result<Option<Record>> {
        loop {
            let Some((first, file, pos)) = self.file.as_mut() else {
                // Not positioned: start at the first segment.
                let Some(segment) = segments.first() else { return Ok(None) };
                self.file = Some((segment.first_offset, File::open(&segment.path)?, 0));
                continue;
            };
            // A segment dropped since (DropOldest): go on with the next one still there.
            if !segments.iter().any(|s| s.first_offset == *first) {
                let current = *first;
                match segments.iter().find(|s| s.first_offset > current) {
                    Some(next) => self.file = Some((next.first_offset, File::open(&next.path)?, 0)),
                    None => {
                        self.file = None;
                        return Ok(None);
                    }
                }
                continue;
            }
            match read_record(file, *pos)? {
                Some((record, _)) if record.end() > limit && !record.payload.is_empty() => return Ok(None),
                Some((record, size)) => {
                    *pos += size as u64;
                    return Ok(Some(record));
                }
                None => {
                    // The end of this segment: the next one, if the writer has moved on.
                    let current = *first;
                    match segments.iter().find(|s| s.first_offset > current) {
                        Some(next) => self.file = Some((next.first_offset, File::open(&next.path)?, 0)),
                        None => return Ok(None),
                    }
                }
            }
        }
    }
}

/// The record at byte `pos` of `file`, if a whole, valid one is there.
fn read_record(file: &mut File, pos: u64) -> io::Result<Option<(Record, usize)>> {
    let mut header = [0u8; HEADER];
    file.seek(SeekFrom::Start(pos))?;
    if !read_full(file, &mut header)? {
        return Ok(None);
    }
    let length = u32::from_le_bytes(header[4..8].try_into().unwrap_or_default()) as u64;
    let mark_len = u16::from_le_bytes(header[16..18].try_into().unwrap_or_default()) as u64;
    // A length the file cannot hold is damage, not a reason to allocate it.
    let size = HEADER as u64 + mark_len + length;
    if pos.saturating_add(size) > file.metadata()?.len() {
        return Ok(None);
    }
    let Ok(size) = usize::try_from(size) else { return Ok(None) };
    let mut bytes = vec![0u8; size];
    bytes[..HEADER].copy_from_slice(&header);
    if !read_full(file, &mut bytes[HEADER..])? {
        return Ok(None);
    }
    Ok(decode(&bytes))
}

/// Fills `buf`; false when the file ends first.
fn read_full(file: &mut File, mut buf: &mut [u8]) -> io::Result<bool> {
    while !buf.is_empty() {
        match file.read(buf) {
            Ok(0) => return Ok(false),
            Ok(n) => buf = &mut buf[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_segment(dir: &Path, first: u64, records: &[(&[u8], &[u8])]) -> PathBuf {
        let mut bytes = Vec::new();
        let mut offset = first;
        for (mark, payload) in records {
            encode(offset, mark, payload, &mut bytes);
            offset += payload.len() as u64;
        }
        let path = dir.join(segment_name(first));
        fs::write(&path, bytes).unwrap();
        path
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("oss-append-journal-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn read_all(segments: &[Segment]) -> Vec<Record> {
        let mut reader = Reader::new();
        let mut out = Vec::new();
        while let Some(record) = reader.next(segments, u64::MAX).unwrap() {
            out.push(record);
        }
        out
    }

    #[test]
    fn records_round_trip_and_a_changed_byte_is_refused() {
        let mut bytes = Vec::new();
        encode(42, b"mark", b"payload", &mut bytes);
        let (record, size) = decode(&bytes).unwrap();
        assert_eq!(
            (record.offset, record.mark.as_slice(), record.payload.as_slice(), size),
            (42, &b"mark"[..], &b"payload"[..], bytes.len())
        );
        for i in 0..bytes.len() {
            let mut changed = bytes.clone();
            changed[i] ^= 0x40;
            assert!(decode(&changed).is_none(), "byte {i} changed and still decoded");
        }
        assert!(decode(&bytes[..bytes.len() - 1]).is_none());
    }

    #[test]
    fn a_torn_tail_is_cut_and_the_rest_kept() {
        let dir = temp_dir("torn");
        let path = write_segment(&dir, 0, &[(b"", b"one"), (b"m1", b"two")]);
        let mut tail = Vec::new();
        encode(6, b"", b"three", &mut tail);
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(&tail[..tail.len() - 2]).unwrap();
        let (segments, recovery) = recover(&dir, &dir.join("quarantine")).unwrap();
        assert_eq!(recovery.torn_bytes, tail.len() as u64 - 2);
        assert_eq!(recovery.corrupt_from(0), 0);
        assert!(recovery.quarantined.is_empty());
        assert_eq!(recovery.last_mark.as_deref(), Some(&b"m1"[..]));
        assert_eq!((segments[0].first_offset, segments[0].end_offset), (0, 6));
        let records = read_all(&segments);
        assert_eq!(records.iter().map(|r| r.payload.clone()).collect::<Vec<_>>(), [b"one".to_vec(), b"two".to_vec()]);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_damaged_record_in_the_middle_is_quarantined_and_the_rest_kept() {
        let dir = temp_dir("middle");
        let path = write_segment(&dir, 100, &[(b"", b"aaaa"), (b"", b"bbbb"), (b"", b"cccc")]);
        write_segment(&dir, 112, &[(b"", b"dddd")]);
        let mut bytes = fs::read(&path).unwrap();
        let second = HEADER + 4; // the second record starts here
        bytes[second + HEADER + 1] ^= 0xff; // a payload byte of "bbbb"
        fs::write(&path, &bytes).unwrap();
        let (segments, recovery) = recover(&dir, &dir.join("quarantine")).unwrap();
        assert_eq!(recovery.corrupt_from(0), 4, "the damaged record's bytes are counted");
        assert_eq!(recovery.quarantined.len(), 1);
        assert!(recovery.quarantined[0].exists());
        let records = read_all(&segments);
        let payloads: Vec<_> = records.iter().map(|r| (r.offset, r.payload.clone())).collect();
        assert_eq!(payloads, [(100, b"aaaa".to_vec()), (108, b"cccc".to_vec()), (112, b"dddd".to_vec())]);
        // A second recovery finds nothing more to do.
        let (again_segments, again) = recover(&dir, &dir.join("quarantine")).unwrap();
        assert_eq!(again, Recovery::default());
        assert_eq!(read_all(&again_segments), records);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_reader_starts_at_an_offset_and_stops_at_the_limit() {
        let dir = temp_dir("reader");
        write_segment(&dir, 0, &[(b"", b"ab"), (b"", b"cd")]);
        write_segment(&dir, 4, &[(b"", b"ef")]);
        let (segments, _) = recover(&dir, &dir.join("q")).unwrap();
        let mut reader = Reader::new();
        reader.seek(&segments, 2).unwrap();
        assert_eq!(reader.next(&segments, 6).unwrap().unwrap().payload, b"cd");
        assert_eq!(reader.next(&segments, 4).unwrap(), None, "not past the published end");
        assert_eq!(reader.next(&segments, 6).unwrap().unwrap().payload, b"ef");
        assert_eq!(reader.next(&segments, 6).unwrap(), None);
        // Sought to the very end, it waits there for what comes next, never back at the start.
        reader.seek(&segments, 6).unwrap();
        assert_eq!(reader.next(&segments, 6).unwrap(), None);
        fs::remove_dir_all(dir).unwrap();
    }
}
