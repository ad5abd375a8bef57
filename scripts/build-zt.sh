#!/usr/bin/env bash
# Build the `zt` client the way users run it, and print the binary's path.
# Usage: scripts/build-zt.sh PROFILE [OUT]   (PROFILE: dev, quick, release, …; extra cargo
# flags in ZT_CARGO_FLAGS, e.g. --locked)
#
# On Linux with glibc, zt is linked as a static PIE (`-C target-feature=+crt-static`, only on
# the `zt` binary's own compile, through `cargo rustc`): kubectl, the AWS CLI and the shell
# start zt on every use of a grant, every prompt and every Tab press, and a dynamically linked
# zt spent most of such a run in the dynamic loader (binding libc's symbols, relocating), not in
# zt. A static PIE keeps address-space randomisation. glibc still loads its NSS modules for
# /etc/nsswitch.conf's extra sources at run time; the built-in `files` and `dns` need none.
# Elsewhere (macOS, musl, Windows) it is a plain `cargo build`. OUT, when given, gets a copy.
# (install.sh links zt the same way inside its one cargo run for both binaries: scripts/zt-rustc.)
set -euo pipefail
profile=${1:?usage: scripts/build-zt.sh PROFILE [OUT]}
out=${2:-}
cd "$(dirname "$0")/.."
# shellcheck disable=SC2086 # ZT_CARGO_FLAGS is a list of flags.
flags=(--profile "$profile" ${ZT_CARGO_FLAGS:-})
dir=${CARGO_TARGET_DIR:-target}/$([ "$profile" = dev ] && echo debug || echo "$profile")
host=$(rustc -vV | sed -n 's/^host: //p')
case $host in
  *-linux-gnu*) cargo rustc "${flags[@]}" -p zt --bin zt -- -C target-feature=+crt-static >&2 ;;
  *) cargo build "${flags[@]}" -p zt --bin zt >&2 ;;
esac
bin=$dir/zt
if [ -n "$out" ]; then
  mkdir -p "$(dirname "$out")"
  cp -f "$bin" "$out.tmp" && mv -f "$out.tmp" "$out"
  bin=$out
fi
echo "$bin"
