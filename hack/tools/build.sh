#!/usr/bin/env bash
# Builds the tools the tests run — kstatus (sigs.k8s.io/cli-utils and Flux's fork), argocd-health
# (Argo CD's Lua health checks in gopher-lua) and helm — into a cache directory outside the
# repository, keyed by this module's hash; prints the directory. Does nothing (but print it) when
# the binaries are already there.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
key="$(cat build.sh go.mod go.sum $(find cmd internal -name "*.go" | LC_ALL=C sort) | sha256sum | cut -c1-16)"
dir="${FORTISYNC_TOOLS_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/fortisync/tools/$key}"
bins=(kstatus argocd-health helm)
missing=0
for b in "${bins[@]}"; do [[ -x "$dir/$b" ]] || missing=1; done
if [[ $missing == 0 ]]; then
  echo "$dir"
  exit 0
fi
command -v go >/dev/null || { echo "go is required to build the test tools (Go >= 1.26)" >&2; exit 1; }
echo "building kstatus, argocd-health and helm into $dir (first time only)" >&2
start=$(date +%s)
mkdir -p "$dir.tmp"
go build -buildvcs=false -ldflags="-s -w" -o "$dir.tmp/" ./cmd/kstatus ./cmd/argocd-health >&2
# helm reports the module version it was built from (`helm version`), as its release builds do.
helm_version="$(go list -m -f '{{.Version}}' helm.sh/helm/v4)"
go build -buildvcs=false -ldflags="-s -w -X helm.sh/helm/v4/internal/version.version=$helm_version" \
  -o "$dir.tmp/" helm.sh/helm/v4/cmd/helm >&2
rm -rf "$dir"
mv "$dir.tmp" "$dir"
echo "built in $(( $(date +%s) - start ))s" >&2
echo "$dir"
