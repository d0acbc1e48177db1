#!/usr/bin/env bash
# Builds kwok (the fake kubelet the demo's worker nodes run on) from its Go module into a cache
# directory outside the repository, keyed by this wrapper module's hash; prints the directory.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
key="$(cat go.mod go.sum | sha256sum | cut -c1-16)"
dir="${FORTISYNC_KWOK_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/fortisync/kwok/$key}"
if [[ -x "$dir/kwok" && -s "$dir/stages.yaml" ]]; then echo "$dir"; exit 0; fi
command -v go >/dev/null || { echo "go is required to build kwok (Go >= 1.26)" >&2; exit 1; }
echo "building kwok into $dir (first time only)" >&2
mkdir -p "$dir.tmp"
go build -buildvcs=false -ldflags="-s -w" -o "$dir.tmp/" sigs.k8s.io/kwok/cmd/kwok >&2
# kwok does nothing without Stages; render its own "fast" set (node and pod lifecycles) from the
# module with the kubectl the test environment built.
kubectl="$("$here/../testenv/build.sh")/kubectl"
"$kubectl" kustomize "$(go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)/kustomize/stage/fast" > "$dir.tmp/stages.yaml"
rm -rf "$dir" && mv "$dir.tmp" "$dir"
echo "$dir"
