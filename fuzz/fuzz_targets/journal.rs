//! The spool's journal records, from a segment file's bytes (the seeds: a spool's segments). Read
//! as recovery reads them (a record where one checks, else the next byte), every record found is the
//! encoder's bytes for it; the input as a record's mark and payload comes back whole. Nothing panics
//! or allocates past the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oss_append::fuzzing::{journal_encode, journal_record};

fuzz_target!(|bytes: &[u8]| {
    let mut at = 0;
    while at < bytes.len() {
        match journal_record(&bytes[at..]) {
            Some((offset, mark, payload, size)) => {
                assert!(size > 0 && at + size <= bytes.len());
                assert_eq!(journal_encode(offset, &mark, &payload), bytes[at..at + size]);
                at += size;
            }
            None => at += 1,
        }
    }
    let split = usize::from(bytes.first().copied().unwrap_or(0)).min(bytes.len());
    let (mark, payload) = bytes.split_at(split);
    let encoded = journal_encode(bytes.len() as u64, mark, payload);
    let decoded = journal_record(&encoded);
    assert_eq!(decoded, Some((bytes.len() as u64, mark.to_vec(), payload.to_vec(), encoded.len())));
});
