//! Clean shutdown of the example applications on SIGINT (Ctrl-C) or SIGTERM.

use signal_hook::consts::{SIGINT, SIGTERM};
use std::io;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// Sets `stop` when the process receives SIGINT or SIGTERM instead of ending it,
/// so the application can commit and leave its group before it exits. A second
/// signal while `stop` is already set ends the process at once (exit code 1).
pub fn stop_on_signals(stop: &Arc<AtomicBool>) -> io::Result<()> {
    for signal in [SIGINT, SIGTERM] {
        // Registered first, so it sees the flag as it was before this signal.
        signal_hook::flag::register_conditional_shutdown(signal, 1, Arc::clone(stop))?;
        signal_hook::flag::register(signal, Arc::clone(stop))?;
    }
    Ok(())
}

/// A new stop flag that SIGINT and SIGTERM set (see [`stop_on_signals`]).
pub fn stop_flag() -> io::Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    stop_on_signals(&stop)?;
    Ok(stop)
}
