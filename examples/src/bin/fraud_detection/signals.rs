//! Stops the demo cleanly on SIGINT or SIGTERM.

use crate::BoxError;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Sets `stop` on SIGINT or SIGTERM. tokio (already a workspace dependency)
/// covers both signals; a second runtime thread is all it costs.
pub fn stop_on_signals(stop: Arc<AtomicBool>) -> Result<(), BoxError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    #[cfg(unix)]
    let mut terminate = {
        let _entered = runtime.enter();
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?
    };
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            runtime.block_on(async {
                #[cfg(unix)]
                tokio::select! {
                    result = tokio::signal::ctrl_c() => {
                        if let Err(error) = result {
                            tracing::error!(%error, "listening for Ctrl-C");
                        }
                    }
                    _ = terminate.recv() => {}
                }
                #[cfg(not(unix))]
                if let Err(error) = tokio::signal::ctrl_c().await {
                    tracing::error!(%error, "listening for Ctrl-C");
                }
            });
            println!("signal received: closing");
            stop.store(true, Ordering::SeqCst);
        })?;
    Ok(())
}
