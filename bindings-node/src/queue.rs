//! How finished calls reach JavaScript: one completion queue per JavaScript environment
//! (docs/architecture.md, "Node: one completion queue").
//!
//! A call is a core future spawned on the addon's runtime under a token the TypeScript layer
//! chose. When it finishes, its packed result (or its error) is pushed onto the queue and — only
//! if nothing is waiting to be drained already — the queue's one threadsafe function is called.
//! That runs the JS callback on the JS thread, which drains every finished call at once and
//! settles their promises. Compared with napi-rs's `async fn` (a promise, a threadsafe function
//! and two tokio tasks per call), this costs one wake-up per batch of finished calls, and under
//! load many calls share it, which keeps the event loop free.
//!
//! The threadsafe function does not keep the process alive by itself: the TypeScript layer calls
//! `hold(true)` while any call is running and `hold(false)` when none is, as an `async fn`'s
//! pending promise would.

use crate::error::{NativeError, catch};
use crate::pack::Packed;
use grantline::Error;
use napi::bindgen_prelude::{Array, Env, Float64Array, Function, Latin1String, Null};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// The callback that drains the queue (no arguments; does not keep the process alive).
type Wake =
    ThreadsafeFunction<(), napi::bindgen_prelude::Unknown<'static>, (), napi::Status, false, true>;

enum Done {
    Packed(Packed),
    Failed(Box<NativeError>),
}

struct Shared {
    done: Mutex<Vec<(u32, Done)>>,
    /// Set when the JS callback has been asked for and has not started draining yet.
    notified: AtomicBool,
    wake: Wake,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One environment's completion queue (made once by the TypeScript layer).
#[napi]
pub struct NativeQueue {
    shared: Arc<Shared>,
}

#[napi]
impl NativeQueue {
    /// A queue whose finished calls are announced by calling `onReady` (then call `drain`).
    #[napi(constructor)]
    pub fn new(
        on_ready: Function<(), napi::bindgen_prelude::Unknown<'static>>,
    ) -> napi::Result<Self> {
        let wake: Wake = on_ready
            .build_threadsafe_function::<()>()
            .callee_handled::<false>()
            .weak::<true>()
            .build()?;
        Ok(NativeQueue {
            shared: Arc::new(Shared {
                done: Mutex::new(Vec::new()),
                notified: AtomicBool::new(false),
                wake,
            }),
        })
    }

    /// Whether the queue keeps the process alive (while calls are running).
    #[napi]
    pub fn hold(&self, env: Env, alive: bool) -> napi::Result<()> {
        let raw = self.shared.wake.raw();
        // SAFETY: called on the JS thread of the environment that created the function, which
        // lives as long as `shared` does.
        let status = unsafe {
            if alive {
                napi::sys::napi_ref_threadsafe_function(env.raw(), raw)
            } else {
                napi::sys::napi_unref_threadsafe_function(env.raw(), raw)
            }
        };
        if status == napi::sys::Status::napi_ok {
            Ok(())
        } else {
            Err(napi::Error::from_reason(
                "cannot (un)reference the completion queue",
            ))
        }
    }

    /// Every finished call, flat: `token, text, numbers` for a result (its packed string and
    /// `Float64Array`), `token, null, error` for a `NativeError`.
    #[napi(ts_return_type = "Array<number | string | null | Float64Array | NativeError>")]
    pub fn drain<'env>(&self, env: &'env Env) -> napi::Result<Array<'env>> {
        self.shared.notified.store(false, Ordering::Release);
        let done = std::mem::take(&mut *lock(&self.shared.done));
        let mut out = env.create_array((done.len() * 3) as u32)?;
        for (i, (token, done)) in done.into_iter().enumerate() {
            let at = (i * 3) as u32;
            out.set(at, token)?;
            match done {
                Done::Packed(Packed { text, numbers }) => {
                    if text.is_ascii() {
                        out.set(at + 1, Latin1String::from(text))?;
                    } else {
                        out.set(at + 1, text)?;
                    }
                    out.set(at + 2, Float64Array::new(numbers))?;
                }
                Done::Failed(err) => {
                    out.set(at + 1, Null)?;
                    out.set(at + 2, *err)?;
                }
            }
        }
        Ok(out)
    }
}

impl NativeQueue {
    /// Runs `call` on the addon's runtime; its result arrives through this queue under `token`.
    pub(crate) fn submit<F>(&self, token: u32, call: F)
    where
        F: Future<Output = Result<Packed, Error>> + Send + 'static,
    {
        let shared = self.shared.clone();
        napi::bindgen_prelude::spawn(async move {
            let done = match catch(call).await {
                Ok(packed) => Done::Packed(packed),
                Err(err) => Done::Failed(err),
            };
            lock(&shared.done).push((token, done));
            if !shared.notified.swap(true, Ordering::AcqRel) {
                shared
                    .wake
                    .call((), ThreadsafeFunctionCallMode::NonBlocking);
            }
        });
    }
}
