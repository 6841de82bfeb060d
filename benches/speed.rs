//! Speed against the loopback limit: `cargo bench --bench speed` (or `bash scripts/bench.sh`, which
//! adds the library's size). One emulator in a child process; in this process, one after the other
//! and alternating run by run, three clients of the same appends:
//!
//! - `raw`: prebuilt, pre-signed (V4) HTTP/1.1 requests written to one kept-alive socket with one
//!   vectored write each, the answer's head read back: the loopback limit, doing no work of a client;
//! - `C`: the C ABI (`oss_append_appender_append`, `oss_append_appender_append_file`), as a C
//!   program calls it;
//! - `Rust`: [`oss_append::Appender`].
//!
//! Figures: 1 KiB appends per second, client CPU per append (the calling thread's `getrusage`; the
//! clients are blocking, so all their work is on it; the part of it spent in the kernel is shown
//! too, which the raw client pays as well) and heap allocations per append (a counting global
//! allocator); 8 MiB appends from memory in MB/s and client CPU per GiB; a file body in MB/s and the
//! peak memory it added. 9 runs; in each, 5 rounds of 1,000 small appends per client (the clients
//! taking turns, in an order that rotates), then 48 appends of 8 MiB and a 1 GiB file per client.
//! Each figure is a median, and each ratio the median of the ratios of samples taken side by side
//! (the same round, or the same run): these machines are noisy, and their speed drifts within a
//! run. Every append is verified (CRC-64) by the library's clients, as always. One more line: the
//! time to make a client. Then the goals of
//! the speed issue, each with its ratio. `cargo test --benches` runs a short pass that checks all
//! three clients deliver. `-- --only small` (or `bulk`, `file`) runs one figure, for a profiler:
//! `perf record -g --no-inherit target/release/deps/speed-* --bench --only small --client rust`
//! (`--client raw`, `c` or `rust`: one client). `-- --same-cpu` keeps the clients and the emulator
//! on one CPU: no answer then wakes a client across CPUs, which on a virtual machine costs the
//! client kernel time that moves with the machine (the raw client's own CPU per append swings
//! between about 17 and 27 µs from run to run here; on one CPU, about 9). `-- --raw-probes` has the
//! raw client make the system calls the library adds to a request too (the liveness probe of its
//! kept connection, and read/write timeouts on its socket), so that what is left between them is
//! the library's own work.

use std::ffi::CString;
use std::io::{IoSlice, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime};

use oss_append::ffi::*;
use oss_append::sign::{v4, SignRequest};
use oss_append::{Appender, Client, Credentials};

const AK: &str = "bench-ak";
const SK: &str = "bench-sk";
const BUCKET: &str = "bench";
const REGION: &str = "cn-hangzhou";

/// The system allocator, counting the allocations made (all threads: the clients are blocking, and
/// the emulator is another process).
struct Counting;

static ALLOCATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

// SAFETY: every call goes to the system allocator unchanged; only a counter is added.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        unsafe { std::alloc::System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.load(std::sync::atomic::Ordering::Relaxed)
}

fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    // A ratio to a zero is NaN (a raw figure of 0 MiB added): ordered last, not a panic.
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// CPU seconds of the calling thread: user + system, and system (the kernel's) alone.
fn thread_cpu() -> (f64, f64) {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid out-pointer for getrusage.
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (secs(usage.ru_utime) + secs(usage.ru_stime), secs(usage.ru_stime))
}

/// Microseconds to make (and drop) a client of `endpoint`, the median of 101.
fn client_creation_micros(endpoint: &str) -> f64 {
    let times = (0..101)
        .map(|_| {
            let started = Instant::now();
            let client =
                Client::builder().endpoint(endpoint).region(REGION).credentials(Credentials::new(AK, SK)).build();
            drop(client.unwrap());
            started.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    median(times)
}

/// Resets the process's peak resident memory to what it holds now (Linux).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn memory_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// What one run measured.
struct Run {
    seconds: f64,
    cpu: f64,
    /// The part of `cpu` spent in the kernel.
    system: f64,
    peak_added_kib: u64,
    /// Heap allocations and reallocations made.
    allocations: u64,
}

fn measure(work: impl FnOnce()) -> Run {
    reset_peak();
    let rss = memory_kib("VmRSS:");
    let ((cpu, system), started, allocated) = (thread_cpu(), Instant::now(), allocations());
    work();
    let seconds = started.elapsed().as_secs_f64();
    let allocations = allocations() - allocated;
    let (cpu_after, system_after) = thread_cpu();
    let peak_added_kib = memory_kib("VmHWM:").saturating_sub(rss);
    Run { seconds, cpu: cpu_after - cpu, system: system_after - system, peak_added_kib, allocations }
}

/// The loopback limit: one kept-alive socket, requests signed before the clock starts.
struct Raw {
    stream: TcpStream,
    host: String,
    scratch: Vec<u8>,
    /// `--raw-probes`: the system calls the library adds to a request, made too.
    probes: bool,
}

impl Raw {
    fn connect(host: &str, probes: bool) -> Raw {
        let stream = TcpStream::connect(host).unwrap();
        stream.set_nodelay(true).unwrap();
        if probes {
            // The library's read/write timeouts (its default), set once, as it keeps them.
            let timeout = Some(std::time::Duration::from_secs(60));
            stream.set_read_timeout(timeout).unwrap();
            stream.set_write_timeout(timeout).unwrap();
        }
        Raw { stream, host: host.to_string(), scratch: vec![0; 64 << 10], probes }
    }

    /// The head of a signed append of `length` bytes at `position` to `key`.
    fn head(&self, key: &str, position: u64, length: u64) -> Vec<u8> {
        let query = vec![("append".to_string(), String::new()), ("position".to_string(), position.to_string())];
        let mut headers = vec![("Content-Length".to_string(), length.to_string())];
        let credentials = Credentials::new(AK, SK);
        let now = SystemTime::now();
        v4::add_signing_headers(&mut headers, &credentials, now);
        let request =
            SignRequest { method: "POST", bucket: Some(BUCKET), key: Some(key), query: &query, headers: &headers };
        let scope = v4::V4Scope { region: REGION, product: v4::PRODUCT_OSS, time: now };
        let authorization = v4::sign(&request, &[], &credentials, &scope).authorization;
        let mut head = format!("POST /{BUCKET}/{key}?append&position={position} HTTP/1.1\r\nHost: {}\r\n", self.host);
        for (name, value) in &headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("Authorization: {authorization}\r\n\r\n"));
        head.into_bytes()
    }

    /// Sends `head` and `body` with vectored writes and reads the answer, which must be a 200.
    fn exchange(&mut self, head: &[u8], body: &[u8]) {
        if self.probes {
            // The liveness probe of a kept connection, as the library makes it (src/net/tcp.rs).
            use std::os::fd::AsRawFd;
            let mut byte = 0u8;
            // SAFETY: one byte into a live local, on this client's own socket.
            let got = unsafe {
                libc::recv(
                    self.stream.as_raw_fd(),
                    (&mut byte as *mut u8).cast(),
                    1,
                    libc::MSG_PEEK | libc::MSG_DONTWAIT,
                )
            };
            assert!(got < 0, "the emulator closed the connection or sent what was not asked for");
        }
        let (mut head, mut body) = (head, body);
        while !head.is_empty() || !body.is_empty() {
            let n = self.stream.write_vectored(&[IoSlice::new(head), IoSlice::new(body)]).unwrap();
            let from_head = n.min(head.len());
            head = &head[from_head..];
            body = &body[n - from_head..];
        }
        self.read_answer();
    }

    fn read_answer(&mut self) {
        let mut filled = 0;
        let end = loop {
            let n = self.stream.read(&mut self.scratch[filled..]).unwrap();
            assert!(n > 0, "the emulator closed the connection");
            filled += n;
            if let Some(end) = self.scratch[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
        };
        let head = std::str::from_utf8(&self.scratch[..end]).unwrap();
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        let length: usize = head
            .lines()
            .find_map(|l| {
                let named = l.get(..15).is_some_and(|name| name.eq_ignore_ascii_case("content-length:"));
                named.then(|| l[15..].trim().parse().unwrap())
            })
            .unwrap_or(0);
        let mut left = (end + length).saturating_sub(filled);
        while left > 0 {
            let n = self.stream.read(&mut self.scratch[..left.min(64 << 10)]).unwrap();
            left -= n;
        }
    }
}

/// The three clients.
#[derive(Clone, Copy, PartialEq)]
enum Who {
    Raw,
    C,
    Rust,
}

struct Clients {
    host: String,
    raw_probes: bool,
    rust: Client,
    c: *mut oss_append_client,
}

impl Clients {
    fn new(endpoint: &str, raw_probes: bool) -> Clients {
        let rust =
            Client::builder().endpoint(endpoint).region(REGION).credentials(Credentials::new(AK, SK)).build().unwrap();
        let c = {
            let mut config = std::ptr::null_mut();
            assert_eq!(oss_append_config_new(&mut config), oss_append_result::Ok);
            let (endpoint, region) = (CString::new(endpoint).unwrap(), CString::new(REGION).unwrap());
            let (ak, sk) = (CString::new(AK).unwrap(), CString::new(SK).unwrap());
            oss_append_config_set_endpoint(config, endpoint.as_ptr());
            oss_append_config_set_region(config, region.as_ptr());
            oss_append_config_set_credentials(config, ak.as_ptr(), sk.as_ptr(), std::ptr::null());
            let mut client = std::ptr::null_mut();
            let result = oss_append_client_new(config, &mut client, std::ptr::null_mut());
            assert_eq!(result, oss_append_result::Ok);
            oss_append_config_free(config);
            client
        };
        let host = endpoint.trim_start_matches("http://").to_string();
        Clients { host, raw_probes, rust, c }
    }

    /// `count` appends of `body` to a new object `key`, by `who`; the connection and the first
    /// append are not timed.
    fn appends(&self, who: Who, key: &str, body: &[u8], count: usize) -> Run {
        let _ = self.rust.delete_object(BUCKET, key);
        let size = body.len() as u64;
        match who {
            Who::Raw => {
                let mut raw = Raw::connect(&self.host, self.raw_probes);
                let heads: Vec<Vec<u8>> = (0..=count as u64).map(|i| raw.head(key, i * size, size)).collect();
                raw.exchange(&heads[0], body);
                measure(|| heads[1..].iter().for_each(|head| raw.exchange(head, body)))
            }
            Who::Rust => {
                let mut appender: Appender = self.rust.appender(BUCKET, key);
                appender.append(body).unwrap();
                measure(|| (0..count).for_each(|_| drop(appender.append(body).unwrap())))
            }
            Who::C => {
                let appender = self.c_appender(key);
                let append = || {
                    let result = oss_append_appender_append(
                        appender,
                        body.as_ptr(),
                        body.len(),
                        std::ptr::null_mut(),
                        std::ptr::null_mut(),
                    );
                    assert_eq!(result, oss_append_result::Ok);
                };
                append();
                let run = measure(|| (0..count).for_each(|_| append()));
                oss_append_appender_free(appender);
                run
            }
        }
    }

    fn c_appender(&self, key: &str) -> *mut oss_append_appender {
        let (bucket, key) = (CString::new(BUCKET).unwrap(), CString::new(key).unwrap());
        let mut appender = std::ptr::null_mut();
        let result = oss_append_appender_new(self.c, bucket.as_ptr(), key.as_ptr(), std::ptr::null(), &mut appender);
        assert_eq!(result, oss_append_result::Ok);
        appender
    }

    /// One append of the file at `path` (of `size` bytes) to a new object, by `who`.
    fn file(&self, who: Who, key: &str, path: &std::path::Path, size: u64) -> Run {
        let _ = self.rust.delete_object(BUCKET, key);
        let run = match who {
            Who::Raw => {
                let mut raw = Raw::connect(&self.host, self.raw_probes);
                let head = raw.head(key, 0, size);
                let mut chunk = vec![0u8; 1 << 20];
                measure(|| {
                    let mut file = std::fs::File::open(path).unwrap();
                    raw.stream.write_all(&head).unwrap();
                    loop {
                        let n = file.read(&mut chunk).unwrap();
                        if n == 0 {
                            break;
                        }
                        raw.stream.write_all(&chunk[..n]).unwrap();
                    }
                    raw.read_answer();
                })
            }
            Who::Rust => {
                let mut appender = self.rust.appender(BUCKET, key);
                measure(|| drop(appender.append(path).unwrap()))
            }
            Who::C => {
                let appender = self.c_appender(key);
                let path = CString::new(path.to_str().unwrap()).unwrap();
                let run = measure(|| {
                    let result = oss_append_appender_append_file(
                        appender,
                        path.as_ptr(),
                        std::ptr::null_mut(),
                        std::ptr::null_mut(),
                    );
                    assert_eq!(result, oss_append_result::Ok);
                });
                oss_append_appender_free(appender);
                run
            }
        };
        let _ = self.rust.delete_object(BUCKET, key);
        run
    }
}

impl Drop for Clients {
    fn drop(&mut self) {
        oss_append_client_free(self.c);
    }
}

/// Keeps the calling thread, and the threads and processes it starts after, on the first CPU it may
/// run on: with `--same-cpu`, the clients and the emulator take turns on one CPU, and no answer
/// wakes a client across CPUs. On a virtual machine such a wake-up costs kernel time that varies
/// with the machine, not the client.
fn pin_to_first_cpu() {
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: cpu_set_t is plain data (zeroed: an empty set); the calls take valid pointers to it.
    unsafe {
        let mut allowed: libc::cpu_set_t = std::mem::zeroed();
        let asked = libc::sched_getaffinity(0, size, &mut allowed);
        assert_eq!(asked, 0, "sched_getaffinity: {}", std::io::Error::last_os_error());
        let first =
            (0..libc::CPU_SETSIZE as usize).find(|&cpu| libc::CPU_ISSET(cpu, &allowed)).expect("a CPU to run on");
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(first, &mut set);
        let pinned = libc::sched_setaffinity(0, size, &set);
        assert_eq!(pinned, 0, "sched_setaffinity: {}", std::io::Error::last_os_error());
    }
}

/// The emulator, in a child process so that its work and memory are not the clients'.
fn serve() {
    let emulator = oss_emulator::Emulator::builder().credentials(AK, SK).bucket(BUCKET).start().unwrap();
    println!("{}", emulator.endpoint());
    std::io::stdout().flush().unwrap();
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--serve-emulator") {
        return serve();
    }
    let quick = !args.iter().any(|a| a == "--bench");
    let same_cpu = args.iter().any(|a| a == "--same-cpu");
    if same_cpu {
        // Before the emulator starts: it inherits the CPU.
        pin_to_first_cpu();
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .arg("--serve-emulator")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut endpoint = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.as_mut().unwrap()), &mut endpoint).unwrap();
    let raw_probes = args.iter().any(|a| a == "--raw-probes");
    let clients = Clients::new(endpoint.trim(), raw_probes);

    // Small appends go in rounds within a run, the clients taking turns in a rotating order, so each
    // round's three figures are taken within a fraction of a second of each other.
    let (runs, rounds, small_count, bulk_count, file_size) =
        if quick { (1, 1, 20, 2, 16u64 << 20) } else { (9, 5, 1000, 48, 1u64 << 30) };
    let who = [Who::Raw, Who::C, Who::Rust];
    let small = vec![b's'; 1 << 10];
    let bulk = vec![b'b'; 8 << 20];
    // [client][figure] -> runs
    let mut small_rate = [vec![], vec![], vec![]];
    let mut small_cpu = [vec![], vec![], vec![]];
    let mut small_system = [vec![], vec![], vec![]];
    let mut small_allocations = [vec![], vec![], vec![]];
    let mut bulk_rate = [vec![], vec![], vec![]];
    let mut bulk_cpu = [vec![], vec![], vec![]];
    let mut file_rate = [vec![], vec![], vec![]];
    let mut file_peak = [vec![], vec![], vec![]];
    let only = args.iter().position(|a| a == "--only").and_then(|i| args.get(i + 1)).map(String::as_str);
    let wanted = |figure: &str| only.is_none_or(|only| only == figure);
    let dir = std::env::temp_dir().join(format!("oss-append-speed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("body");
    if wanted("file") {
        let mut file = std::fs::File::create(&path).unwrap();
        let chunk: Vec<u8> = (0..1u32 << 20).map(|i| (i * 31 % 251) as u8).collect();
        for _ in 0..file_size >> 20 {
            file.write_all(&chunk).unwrap();
        }
    }

    let client = args.iter().position(|a| a == "--client").and_then(|i| args.get(i + 1)).map(String::as_str);
    let names = ["raw", "c", "rust"];
    let skipped = |i: usize| client.is_some_and(|client| client != names[i]);
    for run in 0..runs {
        for round in 0..rounds {
            for turn in 0..who.len() {
                let i = (turn + round + run) % who.len();
                if skipped(i) || !wanted("small") {
                    continue;
                }
                let r = clients.appends(who[i], &format!("small-{run}-{round}-{i}"), &small, small_count);
                small_rate[i].push(small_count as f64 / r.seconds);
                small_cpu[i].push(r.cpu / small_count as f64 * 1e6);
                small_system[i].push(r.system / small_count as f64 * 1e6);
                small_allocations[i].push(r.allocations as f64 / small_count as f64);
            }
        }
        for (i, &w) in who.iter().enumerate() {
            if skipped(i) {
                continue;
            }
            if wanted("bulk") {
                let r = clients.appends(w, &format!("bulk-{run}-{i}"), &bulk, bulk_count);
                let bytes = (bulk_count * bulk.len()) as f64;
                bulk_rate[i].push(bytes / r.seconds / 1e6);
                bulk_cpu[i].push(r.cpu / bytes * (1u64 << 30) as f64);
                let _ = clients.rust.delete_object(BUCKET, &format!("bulk-{run}-{i}"));
            }
            if wanted("file") {
                let r = clients.file(w, &format!("file-{run}-{i}"), &path, file_size);
                file_rate[i].push(file_size as f64 / r.seconds / 1e6);
                file_peak[i].push(r.peak_added_kib as f64 / 1024.0);
            }
        }
    }

    let _ = std::fs::remove_dir_all(&dir);
    drop(child.stdin.take());
    let _ = child.wait();
    // Each client's median, and each library client's median ratio to the raw client over the samples
    // taken side by side (the same round or run).
    let m = |values: &[Vec<f64>; 3]| {
        let ratio = |i: usize| median(values[i].iter().zip(&values[0]).map(|(v, raw)| v / raw).collect());
        ([median(values[0].clone()), median(values[1].clone()), median(values[2].clone())], [ratio(1), ratio(2)])
    };
    let figures = [
        ("1 KiB appends/s", m(&small_rate)),
        ("client CPU µs per 1 KiB append", m(&small_cpu)),
        ("of which in the kernel, µs", m(&small_system)),
        ("heap allocations per 1 KiB append", m(&small_allocations)),
        ("8 MiB appends, MB/s", m(&bulk_rate)),
        ("client CPU s per GiB (8 MiB appends)", m(&bulk_cpu)),
        (if quick { "16 MiB file, MB/s" } else { "1 GiB file, MB/s" }, m(&file_rate)),
        ("peak memory added by the file append, MiB", m(&file_peak)),
    ];
    println!(
        "oss-append against the loopback limit: one emulator (child process{}); medians of {} samples of \
         small appends ({rounds} rounds of {small_count} per run) and of {runs} of the others; a ratio is the \
         median of the ratios of samples taken side by side",
        match (same_cpu, raw_probes) {
            (false, false) => "",
            (true, false) => ", on the clients' CPU: --same-cpu",
            (false, true) => "; the raw client probes and times out as the library does: --raw-probes",
            (true, true) => ", on the clients' CPU; the raw client probes and times out as the library does",
        },
        runs * rounds
    );
    println!("{:>42} {:>10} {:>10} {:>10} {:>8} {:>8}", "", "raw", "C", "Rust", "C/raw", "Rust/raw");
    // A figure not measured in this run (`--only`, `--client`) is left out; a ratio to a raw figure
    // of 0 (allocations, memory added) is shown as "-".
    let cell = |value: f64, width: usize, digits: usize| {
        if value.is_finite() {
            format!("{value:>width$.digits$}")
        } else {
            format!("{:>width$}", "-")
        }
    };
    for (label, ([raw, c, rust], [c_ratio, rust_ratio])) in &figures {
        if [raw, c, rust].iter().all(|v| v.is_nan()) {
            continue;
        }
        println!(
            "{label:>42} {} {} {} {} {}",
            cell(*raw, 10, 1),
            cell(*c, 10, 1),
            cell(*rust, 10, 1),
            cell(*c_ratio, 8, 2),
            cell(*rust_ratio, 8, 2)
        );
    }
    println!(
        "{:>42} {:>10.1}   (median of 101; its TLS configuration is built at its first HTTPS connection)",
        "making a client (Rust), µs",
        client_creation_micros(endpoint.trim())
    );
    // The goals are against the plain raw client.
    if quick || only.is_some() || client.is_some() || raw_probes {
        return;
    }
    let [small_c, small_rust] = figures[0].1 .1;
    let [cpu_c, cpu_rust] = figures[1].1 .1;
    let [bulk_c, bulk_rust] = figures[4].1 .1;
    let [file_c, file_rust] = figures[6].1 .1;
    let [_, c_peak, rust_peak] = figures[7].1 .0;
    let goal = |text: &str, met: bool| println!("  {} {text}", if met { "met    " } else { "NOT met" });
    println!("goals (issue: speed and size)");
    goal(
        &format!("1 KiB appends ≥ 0.8× raw: C {small_c:.2}, Rust {small_rust:.2}"),
        small_c >= 0.8 && small_rust >= 0.8,
    );
    goal(
        &format!("client CPU per 1 KiB append ≤ 1.3× raw: C {cpu_c:.2}, Rust {cpu_rust:.2}"),
        cpu_c <= 1.3 && cpu_rust <= 1.3,
    );
    goal(&format!("8 MiB appends ≥ 0.9× raw: C {bulk_c:.2}, Rust {bulk_rust:.2}"), bulk_c >= 0.9 && bulk_rust >= 0.9);
    goal(&format!("file body ≥ 0.85× raw: C {file_c:.2}, Rust {file_rust:.2}"), file_c >= 0.85 && file_rust >= 0.85);
    goal(
        &format!("file append memory flat: C +{c_peak:.1} MiB, Rust +{rust_peak:.1} MiB"),
        c_peak.max(rust_peak) <= 8.0,
    );
}
