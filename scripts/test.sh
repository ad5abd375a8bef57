#!/usr/bin/env bash
# The project's one test command: install the real peers the tests drive (scripts/peers.sh),
# then run every test of the workspace — unit, integration, doc drift — with all features. A missing peer is a
# failure here (ZT_TEST_REQUIRE_PEERS=1), never a silent skip. Ends with one summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/peers.sh kubectl aws postgres
export ZT_TEST_KUBECTL=$PWD/.peers/bin/kubectl
export ZT_TEST_AWS=$PWD/.peers/venv/bin/aws
export ZT_TEST_MOTO=$PWD/.peers/venv/bin/moto_server
ZT_TEST_PG_BIN=$(scripts/peers.sh pg_bin)
export ZT_TEST_PG_BIN
# The real OpenID provider (oidc-provider from npm) with our configuration.
scripts/peers.sh oidc
export ZT_TEST_NODE=$(command -v node)
export ZT_TEST_OIDC_PROVIDER=$PWD/tests/fixtures/oidc/provider.mjs
# The real OS keyrings, headless: Secret Service (dbus + gnome-keyring) and kernel keyutils.
scripts/peers.sh keyring
export ZT_TEST_KEYRING=1
# The API fuzzer that holds crates/zt-api/openapi.yaml and the broker to each other
# (tests/it/fuzz.rs).
scripts/peers.sh schemathesis
export ZT_TEST_SCHEMATHESIS=$PWD/.peers/st-venv/bin/st
# Real bash, zsh and fish under tmux for the terminal tests (pickers, completion, login's QR).
scripts/peers.sh shells
export ZT_TEST_TMUX=1
# Headless Chromium driven through WebDriver (Python selenium) for the review page's tests.
scripts/peers.sh browser
export ZT_TEST_BROWSER_PY=$PWD/.peers/browser-venv/bin/python
# The real OpenSSH (an sshd on loopback trusting the broker's CA, ssh, scp, ssh-agent) and rsync
# for the SSH tests (tests/it/ssh*.rs).
scripts/peers.sh ssh
export ZT_TEST_SSHD=/usr/sbin/sshd
export ZT_TEST_REQUIRE_PEERS=1
# The house's lints ([workspace.lints], clippy.toml) and format are part of the suite.
cargo fmt --all --check
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings
# The lean broker `./install.sh` builds (no production issuers or store, crates/zt-broker's
# features) compiles clean too; its unit tests run below.
cargo clippy -p zt-broker --all-targets --no-default-features --locked -- -D warnings
# The end-to-end tests drive `zt` as install.sh builds it: a static PIE on Linux with glibc
# (scripts/build-zt.sh; tests/it/common reads ZT_TEST_ZT).
ZT_TEST_ZT=$(realpath "$(ZT_CARGO_FLAGS=--locked scripts/build-zt.sh dev target/static/zt)")
export ZT_TEST_ZT
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace --all-features --locked "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
cargo test -p zt-broker --no-default-features --lib --locked 2>&1 | tee -a "$log"
lean=${PIPESTATUS[0]}
[ "$rc" != 0 ] || rc=$lean
set -e
read -r passed failed < <(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } } END { print p + 0, f + 0 }' "$log")
echo "zt: $passed passed, $failed failed"
exit "$rc"
