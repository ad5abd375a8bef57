#!/usr/bin/env bash
# The client's startup benchmarks (crates/zt/benches/helper.rs, startup.rs) timed on the `zt`
# users install: built by scripts/build-zt.sh (a static PIE on Linux with glibc), in the
# release profile (`./install.sh --production`; ZT_BENCH_PROFILE=quick times what a plain
# `./install.sh` builds). Extra arguments go to `cargo bench`. Prints figures, asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${ZT_BENCH_PROFILE:-release}
zt=$(scripts/build-zt.sh "$profile" "${CARGO_TARGET_DIR:-target}/bench-zt/$profile/zt")
ZT_BENCH_ZT=$(realpath "$zt")
export ZT_BENCH_ZT
cargo bench -p zt --bench helper --bench startup "$@"
