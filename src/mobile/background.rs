//! The async methods: a blocking core call run on a library thread, awaited as a future, so Kotlin
//! coroutines and Swift tasks never block a thread of theirs on the network.
//!
//! The threads are a small pool, named `oss-append-N`: a call takes an idle one, or a new one when
//! none is idle (a long upload never holds up another call), and a thread idle for [`IDLE`] ends.
//! So an app's listeners are called on a few named threads that come back, not on a new thread per
//! call (on the JVM, where each new native thread became a new `java.lang.Thread`).

use std::collections::VecDeque;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

/// How long a pool thread waits for work before it ends.
const IDLE: Duration = Duration::from_secs(if cfg!(test) { 1 } else { 30 });

/// The name of the library thread this runs on (`oss-append-N`), or nil on any other thread. The
/// Kotlin binding names the JVM's thread object for a library thread after it.
#[uniffi::export]
pub fn library_thread_name() -> Option<String> {
    thread::current().name().filter(|name| name.starts_with("oss-append-")).map(str::to_string)
}

/// A call, which gives back whom to tell that it is done.
type Job = Box<dyn FnOnce() -> Option<Waker> + Send>;

/// Work not yet taken, and how many threads wait for it.
struct Queue {
    jobs: VecDeque<Job>,
    idle: usize,
}

pub(crate) struct Pool {
    queue: Mutex<Queue>,
    ready: Condvar,
    /// Threads made so far, for their names.
    made: AtomicUsize,
    /// Threads alive now.
    alive: AtomicUsize,
}

static POOL: Pool = Pool::new();

impl Pool {
    const fn new() -> Self {
        Pool {
            queue: Mutex::new(Queue { jobs: VecDeque::new(), idle: 0 }),
            ready: Condvar::new(),
            made: AtomicUsize::new(0),
            alive: AtomicUsize::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `job` on an idle thread, or on a new one when every thread is busy.
    fn run(&'static self, job: Job) {
        let mut queue = self.lock();
        queue.jobs.push_back(job);
        if queue.jobs.len() <= queue.idle {
            self.ready.notify_one();
            return;
        }
        drop(queue);
        let n = self.made.fetch_add(1, Ordering::SeqCst) + 1;
        self.alive.fetch_add(1, Ordering::SeqCst);
        let spawned = thread::Builder::new().name(format!("oss-append-{n}")).spawn(move || self.work());
        if spawned.is_err() {
            // No thread to be had: run it here rather than lose it (the caller's thread blocks).
            self.alive.fetch_sub(1, Ordering::SeqCst);
            let job = self.lock().jobs.pop_back();
            if let Some(waker) = job.and_then(|job| job()) {
                waker.wake();
            }
        }
    }

    fn work(&self) {
        let mut queue = self.lock();
        loop {
            if let Some(job) = queue.jobs.pop_front() {
                drop(queue);
                let waker = job();
                // Counted idle before the caller hears it is done, so that its next call finds this
                // thread instead of making another (a call pushed meanwhile is taken below).
                self.lock().idle += 1;
                if let Some(waker) = waker {
                    waker.wake();
                }
                queue = self.lock();
                queue.idle -= 1;
                continue;
            }
            queue.idle += 1;
            let (again, waited) = self.ready.wait_timeout(queue, IDLE).unwrap_or_else(|poisoned| poisoned.into_inner());
            queue = again;
            queue.idle -= 1;
            if waited.timed_out() && queue.jobs.is_empty() {
                self.alive.fetch_sub(1, Ordering::SeqCst);
                return;
            }
        }
    }
}

/// The result of a call running on its thread, once it has one.
struct Slot<T> {
    outcome: Option<thread::Result<T>>,
    waker: Option<Waker>,
}

/// A future that completes when `work` has run on its own thread. Dropping it before then (a
/// cancelled Kotlin coroutine) triggers `cancel`, so the call stops at its next check.
pub(crate) struct Background<T> {
    slot: Arc<Mutex<Slot<T>>>,
    cancel: crate::CancelToken,
    finished: bool,
}

impl<T: Send + 'static> Background<T> {
    pub(crate) fn spawn(cancel: crate::CancelToken, work: impl FnOnce() -> T + Send + 'static) -> Self {
        Self::spawn_on(&POOL, cancel, work)
    }

    fn spawn_on(pool: &'static Pool, cancel: crate::CancelToken, work: impl FnOnce() -> T + Send + 'static) -> Self {
        let slot = Arc::new(Mutex::new(Slot { outcome: None, waker: None }));
        let shared = slot.clone();
        pool.run(Box::new(move || {
            // A panic is carried to the awaiting side and raised there, as a blocking call would.
            let outcome = panic::catch_unwind(AssertUnwindSafe(work));
            let mut slot = shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            slot.outcome = Some(outcome);
            slot.waker.take()
        }));
        Self { slot, cancel, finished: false }
    }
}

impl<T> Future for Background<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let outcome = {
            let mut slot = self.slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            match slot.outcome.take() {
                Some(outcome) => outcome,
                None => {
                    slot.waker = Some(cx.waker().clone());
                    return Poll::Pending;
                }
            }
        };
        self.finished = true;
        match outcome {
            Ok(value) => Poll::Ready(value),
            Err(payload) => panic::resume_unwind(payload),
        }
    }
}

impl<T> Drop for Background<T> {
    fn drop(&mut self) {
        if !self.finished {
            self.cancel.cancel();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::Wake;

    struct Flag(AtomicBool);
    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    fn block_on<F: Future + Unpin>(mut future: F) -> F::Output {
        let flag = Arc::new(Flag(AtomicBool::new(false)));
        let waker = Waker::from(flag.clone());
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(value) = Pin::new(&mut future).poll(&mut cx) {
                return value;
            }
            while !flag.0.swap(false, Ordering::SeqCst) {
                thread::yield_now();
            }
        }
    }

    #[test]
    fn runs_on_another_thread_and_completes() {
        let caller = thread::current().id();
        let ran_on = block_on(Background::spawn(crate::CancelToken::new(), || thread::current().id()));
        assert_ne!(ran_on, caller);
    }

    #[test]
    fn calls_come_back_to_a_few_named_threads_and_idle_ones_end() {
        // A pool of this test's own (the process's is shared with the other tests).
        let pool: &'static Pool = Box::leak(Box::new(Pool::new()));
        let spawn =
            |work: Box<dyn FnOnce() -> Option<()> + Send>| Background::spawn_on(pool, crate::CancelToken::new(), work);
        let name = || thread::current().name().map(str::to_string);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..20 {
            let (id, name) = block_on(Background::spawn_on(pool, crate::CancelToken::new(), move || {
                (thread::current().id(), name())
            }));
            assert!(name.as_deref().is_some_and(|n| n.starts_with("oss-append-")), "{name:?}");
            seen.insert(id);
        }
        assert_eq!(seen.len(), 1, "one call after another: one thread, again and again");
        // Calls at once each get a thread: a long one never holds up another.
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let wait = Arc::new(Mutex::new(wait));
        let held: Vec<_> = (0..3)
            .map(|_| {
                let wait = wait.clone();
                spawn(Box::new(move || wait.lock().unwrap().recv().ok()))
            })
            .collect();
        let quick = block_on(Background::spawn_on(pool, crate::CancelToken::new(), || 42));
        assert_eq!(quick, 42, "a call while three wait");
        for _ in 0..3 {
            release.send(()).unwrap();
        }
        for call in held {
            assert_eq!(block_on(call), Some(()));
        }
        assert_eq!(pool.alive.load(Ordering::SeqCst), 4, "three held and one more");
        // Idle threads end.
        let deadline = std::time::Instant::now() + IDLE * 5;
        while pool.alive.load(Ordering::SeqCst) > 0 && std::time::Instant::now() < deadline {
            thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(pool.alive.load(Ordering::SeqCst), 0, "idle threads ended");
    }

    #[test]
    fn dropping_before_completion_cancels() {
        let token = crate::CancelToken::new();
        let watched = token.clone();
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let future = Background::spawn(token.clone(), move || wait.recv().ok());
        drop(future);
        assert!(watched.is_cancelled());
        let _ = release.send(());
    }
}
