//! The tokio runtime every call of this library runs on, and how a Kotlin coroutine awaits it.
//!
//! One runtime with one worker thread (`grantline-io`), made on first use: the HTTP, signing and
//! parsing of every call run there, and a Kotlin coroutine only waits for the result. One worker
//! is what the Node binding measured best on two cores (docs/architecture.md); the
//! benchmark in bindings-kotlin/README.md was run with it.
//!
//! uniffi polls an exported `async fn` from the calling Kotlin coroutine, with no tokio context.
//! So each call's future is spawned on this runtime and the exported future only awaits its
//! [`JoinHandle`]. When the coroutine is cancelled, uniffi drops the exported future; the
//! [`AbortOnDrop`] guard then aborts the spawned task, which drops the in-flight request (its
//! connection is closed, so the server sees the client go away).

use crate::error::NativeError;
use std::future::Future;
use std::sync::LazyLock;
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

static RUNTIME: LazyLock<Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("grantline-io")
        .enable_all()
        .build()
        .expect("cannot start the grantline tokio runtime")
});

/// Aborts the task when dropped before it finished.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs `fut` on the runtime; the returned future resolves to its result (a panic becomes a
/// `GrantlineError`), and dropping it aborts the task.
pub(crate) async fn spawn<T, F>(fut: F) -> Result<T, NativeError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, NativeError>> + Send + 'static,
{
    let mut guard = AbortOnDrop(RUNTIME.spawn(fut));
    match (&mut guard.0).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => Err(NativeError::panic(e.into_panic())),
        Err(_) => Err(NativeError::cancelled()),
    }
}
