"""Quix Streams side of the rstreams `peers` benchmark.

Runs the e2e stateless or count pipeline on Quix Streams against the broker the
benchmark started, following the benchmark's child protocol: prints `starting`
right before `Application.run()`, runs until its stdin closes, then stops the
application cleanly (final checkpoint) and exits 0.

usage: quix_app.py stateless|count BOOTSTRAP GROUP STATE_DIR COMMIT_INTERVAL_S

Input: topic `e2e-input`, keys 8-byte big-endian integers, 100-byte values.
- stateless: drop keys k % 100 == 0, upper-case the value, write `e2e-output`.
- count: count records per key in Quix's RocksDB state (changelog on), write
  the running count (8-byte big-endian) per record to `e2e-output`.
Keys and values use Quix's `bytes` serdes (no JSON): the cheapest path it has.
"""

import sys
import threading

from quixstreams import Application

FILTER_MODULUS = 100


def keep(value, key, timestamp, headers):
    return int.from_bytes(key, "big") % FILTER_MODULUS != 0


def count(value, state):
    n = state.get("count", 0) + 1
    state.set("count", n)
    return n.to_bytes(8, "big", signed=True)


def main():
    pipeline, bootstrap, group, state_dir, commit_interval = sys.argv[1:6]
    app = Application(
        broker_address=bootstrap,
        consumer_group=group,
        auto_offset_reset="earliest",
        state_dir=state_dir,
        commit_interval=float(commit_interval),
        loglevel="WARNING",
    )
    source = app.topic("e2e-input", key_deserializer="bytes", value_deserializer="bytes")
    sink = app.topic("e2e-output", key_serializer="bytes", value_serializer="bytes")
    sdf = app.dataframe(source)
    if pipeline == "stateless":
        sdf = sdf.filter(keep, metadata=True).apply(bytes.upper)
    elif pipeline == "count":
        sdf = sdf.apply(count, stateful=True)
    else:
        sys.exit(f"unknown pipeline {pipeline!r}; use stateless or count")
    sdf.to_topic(sink)

    def stop_when_stdin_closes():
        sys.stdin.read()
        app.stop()

    threading.Thread(target=stop_when_stdin_closes, daemon=True).start()
    print("starting", flush=True)
    app.run()


if __name__ == "__main__":
    main()
