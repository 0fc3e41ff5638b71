//! `KStream::print` with `Printed`: one `[label]: key, value` line per record,
//! to a file or standard output, as Kafka Streams prints.

use streams_dsl::prelude::*;

/// A file in the system's temporary directory, unique to this test and process.
fn temp_file(test: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("rstreams-print-{}-{test}.txt", std::process::id()))
}

fn printing_driver(printed: Printed<String, i64>) -> TopologyTestDriver {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, i64>("in", Consumed::default())
        .print(printed);
    TopologyTestDriver::new(builder.build().unwrap()).unwrap()
}

#[test]
fn prints_each_record_with_the_node_name_as_the_default_label() {
    let path = temp_file("default-label");
    let driver = printing_driver(Printed::to_file(&path));
    let input = driver.input_topic::<String, i64>("in").unwrap();
    input.pipe("a", 1, 0).unwrap();
    input.pipe("b", 2, 0).unwrap();
    let printed = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(
        printed,
        "[KSTREAM-PRINTER-0000000001]: \"a\", 1\n[KSTREAM-PRINTER-0000000001]: \"b\", 2\n"
    );
}

#[test]
fn a_label_and_a_mapper_shape_the_line() {
    let path = temp_file("label-mapper");
    let driver = printing_driver(
        Printed::to_file(&path)
            .with_label("prices")
            .with_key_value_mapper(|k, v| format!("{k} costs {v}")),
    );
    driver
        .input_topic::<String, i64>("in")
        .unwrap()
        .pipe("apple", 3, 0)
        .unwrap();
    let printed = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(printed, "[prices]: apple costs 3\n");
}

#[test]
fn printing_to_standard_output_forwards_nothing() {
    let builder = StreamsBuilder::new();
    let stream = builder.stream::<String, i64>("in", Consumed::default());
    stream.print(Printed::to_sys_out().with_label("debug"));
    stream.to("out", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    driver
        .input_topic::<String, i64>("in")
        .unwrap()
        .pipe("a", 1, 0)
        .unwrap();
    assert_eq!(
        driver
            .output_topic::<String, i64>("out")
            .unwrap()
            .read_key_values()
            .unwrap(),
        [("a".to_string(), 1)],
        "the printer is a leaf beside the sink"
    );
    assert!(driver.describe().contains("KSTREAM-PRINTER"));
}

#[test]
fn a_file_that_cannot_be_created_fails_the_build() {
    let missing_dir = temp_file("no-such-dir").join("out.txt");
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, i64>("in", Consumed::default())
        .print(Printed::to_file(&missing_dir));
    let error = builder.build().unwrap_err();
    assert!(
        matches!(&error, TopologyError::PrintFile { path, .. } if path.contains("no-such-dir")),
        "{error}"
    );
}
