//! The embedded Kafka broker as a process:
//! `embedded-kafka --listen 127.0.0.1:9092 [--data-dir DIR] [--auto-create-topics]`
//! (see [`embedded_kafka::cli`]).

fn main() -> std::process::ExitCode {
    embedded_kafka::cli::main()
}
