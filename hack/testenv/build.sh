#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kubectl from Go modules
# into a cache directory outside the repository, keyed by the wrapper module's hash, and prints
# that directory. Does nothing (but print it) when the binaries are already there.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
key="$(cat go.mod go.sum cmd/etcd/main.go | sha256sum | cut -c1-16)"
dir="${FORTISYNC_TESTENV_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/fortisync/testenv/$key}"
bins=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl)
missing=0
for b in "${bins[@]}"; do [[ -x "$dir/$b" ]] || missing=1; done
if [[ $missing == 0 ]]; then
  echo "$dir"
  exit 0
fi
command -v go >/dev/null || { echo "go is required to build the test control plane (Go >= 1.26)" >&2; exit 1; }
mkdir -p "$dir.tmp"
start=$(date +%s)
echo "building control plane binaries into $dir (first time only; takes several minutes)" >&2
# No VCS stamping: the binaries must not depend on the state of this checkout.
go build -buildvcs=false -ldflags="-s -w" -o "$dir.tmp/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler \
  k8s.io/kubernetes/cmd/kubectl \
  ./cmd/etcd >&2
rm -rf "$dir"
mv "$dir.tmp" "$dir"
echo "built in $(( $(date +%s) - start ))s" >&2
echo "$dir"
