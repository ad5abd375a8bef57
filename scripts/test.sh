#!/usr/bin/env bash
# The project's one test command: install the real peers the tests drive (scripts/peers.sh),
# then run every test — unit, integration, doc drift — with all features. A missing peer is a
# failure here (ZT_TEST_REQUIRE_PEERS=1), never a silent skip.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/peers.sh kubectl
export ZT_TEST_KUBECTL=$PWD/.peers/bin/kubectl
export ZT_TEST_REQUIRE_PEERS=1
cargo test --all-features --locked "$@"
