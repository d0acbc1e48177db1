#!/usr/bin/env bash
# Builds the archive the krew manifest (plugins/fortisync.yaml) points at: the compiled program, its
# production dependencies (pure JavaScript: one archive serves Linux and macOS on any CPU) and the
# kubectl-fortisync shim, under kubectl-fortisync/. Prints the archive's path and sha256, the two
# values the manifest needs. Needs Node.js >= 24 and npm; `npm ci` fetches the dependencies.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
version=$(node -p 'require("./package.json").version')
npm run build >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage="$work/kubectl-fortisync"
mkdir -p "$stage/dist"
cp -R dist/src "$stage/dist/src"
cp package.json package-lock.json README.md "$stage/"
cp plugins/kubectl-fortisync "$stage/"
(cd "$stage" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null)
out="$root/dist/kubectl-fortisync-v$version.tar.gz"
# Reproducible: fixed order, owner and time.
tar -C "$work" --sort=name --owner=0 --group=0 --numeric-owner --mtime='2000-01-01 00:00Z' -czf "$out" kubectl-fortisync
echo "$out"
sha256sum "$out" | cut -d' ' -f1
