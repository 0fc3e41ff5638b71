#!/usr/bin/env bash
# Peers side by side: installs Quix Streams from PyPI into a virtualenv, then
# runs the `peers` benchmark, which puts rstreams and Quix Streams through the
# same e2e stateless and count workloads (same embedded broker, same input,
# same completion checks, one JSON line each).
#
#   benchmarks/peers/run.sh            # from the repository root
#   QUIX_STREAMS_VERSION=3.28.1 QUIX_VENV=/tmp/quix benchmarks/peers/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

version="${QUIX_STREAMS_VERSION:-3.28.1}"
venv="${QUIX_VENV:-benchmarks/peers/.venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "quixstreams==$version"

QUIX_PYTHON="$venv/bin/python" cargo run --release --locked -p benchmarks -- peers
