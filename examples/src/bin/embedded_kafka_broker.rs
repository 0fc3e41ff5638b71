//! The embedded-kafka broker as a binary of this package (the same command line
//! as `cargo run -p embedded-kafka`), so the examples' system tests can run it
//! as a separate process: `cargo test -p examples` builds only this package's
//! binaries.

fn main() -> std::process::ExitCode {
    embedded_kafka::cli::main()
}
