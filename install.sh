#!/usr/bin/env bash
# Build zt and zt-broker and install them with completions and man pages.
# usage: ./install.sh [--production] [--prefix DIR] [--uninstall]   (default prefix: ~/.local)
#   The first build takes 3 to 4 minutes on a 2-core machine (cargo's `quick`
#   profile: no LTO, opt-level 0 but for zt's hot path). Its zt-broker is the embedded default's,
#   `zt-broker dev` (SQLite, the dev issuers).
#   --production  also the real issuers (kubernetes, aws-sts, postgres) and the PostgreSQL
#                 store (cargo features aws, kubernetes, postgres), fully optimised (the
#                 release profile, thin LTO): what `zt-broker serve` needs; about 10 minutes.
set -euo pipefail
prefix=${HOME}/.local
uninstall=0
production=0
while [ $# -gt 0 ]; do
  case $1 in
    --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --production) production=1; shift ;;
    --uninstall) uninstall=1; shift ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")"

# Every file this script installs, relative to the prefix.
files=(bin/zt bin/zt-broker
  share/bash-completion/completions/zt share/bash-completion/completions/zt-broker
  share/zsh/site-functions/_zt share/zsh/site-functions/_zt-broker
  share/fish/vendor_completions.d/zt.fish share/fish/vendor_completions.d/zt-broker.fish
  share/zt/completions/_zt.ps1 share/zt/completions/zt.elv
  share/zt/completions/_zt-broker.ps1 share/zt/completions/zt-broker.elv)
for m in man/*.1; do files+=("share/man/man1/$(basename "$m")"); done

if [ "$uninstall" = 1 ]; then
  for f in "${files[@]}"; do rm -f "$prefix/$f"; done
  rmdir "$prefix/share/zt/completions" "$prefix/share/zt" 2>/dev/null || true
  echo "Removed zt from $prefix."
  exit 0
fi

command -v cargo >/dev/null || { echo "install.sh: cargo is needed (https://rustup.rs)" >&2; exit 1; }
# One cargo run for both, so they share their dependencies' builds. `zt` has no cargo features:
# --no-default-features leaves out only zt-broker's production issuers and store. On Linux with
# glibc the `zt` binary is linked as a static PIE (scripts/zt-rustc, as cargo's workspace
# wrapper, adds the flag to that one compile; scripts/build-zt.sh says why).
wrap=()
case $(rustc -vV | sed -n 's/^host: //p') in
  *-linux-gnu*) wrap=(env "RUSTC_WORKSPACE_WRAPPER=$PWD/scripts/zt-rustc") ;;
esac
if [ "$production" = 1 ]; then
  profile=release
  ${wrap[@]+"${wrap[@]}"} cargo build --release --locked -p zt -p zt-broker --bins >&2
else
  profile=quick
  ${wrap[@]+"${wrap[@]}"} cargo build --profile quick --no-default-features --locked -p zt -p zt-broker --bins >&2
fi
out=${CARGO_TARGET_DIR:-target}/$profile
zt=$out/zt

inst() { install -D -m "$1" "$2" "$prefix/$3"; }
inst 755 "$zt" bin/zt
inst 755 "$out/zt-broker" bin/zt-broker
for b in zt zt-broker; do
  inst 644 "completions/$b.bash" "share/bash-completion/completions/$b"
  inst 644 "completions/_$b" "share/zsh/site-functions/_$b"
  inst 644 "completions/$b.fish" "share/fish/vendor_completions.d/$b.fish"
  inst 644 "completions/_$b.ps1" "share/zt/completions/_$b.ps1"
  inst 644 "completions/$b.elv" "share/zt/completions/$b.elv"
done
for m in man/*.1; do inst 644 "$m" "share/man/man1/$(basename "$m")"; done
echo "Installed zt and zt-broker into $prefix/bin." >&2
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "Note: $prefix/bin is not on your PATH; add it: export PATH=\"$prefix/bin:\$PATH\"" >&2 ;;
esac
