//! The tokio runtime every call of this addon runs on: one worker (docs/architecture.md), made before the
//! first async call, and the optional `GRANTLINE_LOG` switch for the core's `tracing` output.

use napi_derive::module_init;

#[module_init]
fn init() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("grantline-io")
        .enable_all()
        .build()
        .expect("cannot start the grantline tokio runtime");
    napi::bindgen_prelude::create_custom_tokio_runtime(runtime);
    if let Ok(level) = std::env::var("GRANTLINE_LOG")
        && !level.is_empty()
    {
        let filter = tracing_subscriber::EnvFilter::try_new(format!("grantline={level}"))
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("grantline=debug"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .try_init();
    }
}
