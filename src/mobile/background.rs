//! The `*Async` methods: a blocking core call run on a thread of its own, awaited as a future, so
//! Kotlin coroutines and Swift tasks never block a thread of theirs on the network.

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;

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
        let slot = Arc::new(Mutex::new(Slot { outcome: None, waker: None }));
        let shared = slot.clone();
        thread::Builder::new()
            .name("oss-append-call".into())
            .spawn(move || {
                // A panic is carried to the awaiting side and raised there, as a blocking call would.
                let outcome = panic::catch_unwind(AssertUnwindSafe(work));
                let waker = {
                    let mut slot = shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                    slot.outcome = Some(outcome);
                    slot.waker.take()
                };
                if let Some(waker) = waker {
                    waker.wake();
                }
            })
            .expect("spawning a thread for the call");
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
