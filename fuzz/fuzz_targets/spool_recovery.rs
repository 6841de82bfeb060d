//! A spool opened on a journal segment holding arbitrary bytes (a crash, a bad disk, a bad hand):
//! it opens or refuses with an error, never panics, and what it says adds up.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use oss_append::{Client, Credentials, Spool, SpoolConfig};

fn client() -> Client {
    // A closed port: the uploader fails at once and keeps everything. Made once (a client loads
    // the platform's trust store).
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            Client::builder()
                .endpoint("http://127.0.0.1:1")
                .region("cn-hangzhou")
                .credentials(Credentials::new("fuzz-ak", "fuzz-sk"))
                .build()
                .expect("the client builds")
        })
        .clone()
}

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    // In memory where there is a tmpfs: fsyncs cost nothing there.
    let base = if std::path::Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
    DIR.get_or_init(|| base.join(format!("oss-append-fuzz-spool-{}", std::process::id())))
}

fuzz_target!(|bytes: &[u8]| {
    let dir = dir();
    let _ = std::fs::remove_dir_all(dir);
    let config = || SpoolConfig::new("fuzz-bucket", "fuzz/{seq}.log").max_bytes(1 << 20).max_record_bytes(64 << 10);
    // A spool made and closed: its checkpoint, and an empty first segment.
    Spool::open(dir, client(), config()).expect("a new spool opens").close().expect("it closes");
    let segment = std::fs::read_dir(dir.join("journal")).unwrap().next().unwrap().unwrap().path();
    std::fs::write(&segment, bytes).unwrap();
    match Spool::open(dir, client(), config()) {
        Ok(spool) => {
            let status = spool.status();
            assert!(status.pending_bytes <= bytes.len() as u64, "{status:?}");
            assert_eq!(status.appended_bytes, 0);
            let _ = spool.write(b"after");
            spool.close().expect("it closes");
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
});
