//! SVG pictures of a topology through Graphviz's `dot`.

use std::io::Write;
use std::process::{Command, Stdio};

/// Renders DOT text to SVG with `dot -Tsvg`; `Err` says why not (no `dot` on
/// the `PATH`, or `dot` rejected the input).
pub(crate) fn render_svg(dot: &str) -> Result<String, String> {
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!("cannot run Graphviz's dot ({e}); install graphviz, or ask for ?format=mermaid")
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(dot.as_bytes())
            .map_err(|e| format!("writing to dot failed: {e}"))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| format!("dot failed: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "dot rejected the topology: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("dot wrote no UTF-8: {e}"))
}
