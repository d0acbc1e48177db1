#!/usr/bin/env bash
# Renders config/argocd/argocd-cm.yaml from config/argocd/health.lua (every kind gets the same
# script). test/ops/health.test.ts fails when the two differ.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../config/argocd"
{
  cat <<'HEAD'
# Argo CD health checks for fortisync's kinds: merge these keys into Argo CD's argocd-cm
# ConfigMap (kubectl -n argocd patch configmap argocd-cm --patch-file config/argocd/argocd-cm.yaml,
# or your Argo CD kustomization). Every key holds config/argocd/health.lua verbatim (rendered by
# hack/argocd/render-argocd-cm.sh; a test keeps them equal and runs them through gopher-lua as
# Argo CD does); docs/operate.md explains each verdict.
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  namespace: argocd
  labels:
    app.kubernetes.io/name: argocd-cm
    app.kubernetes.io/part-of: argocd
data:
HEAD
  for kind in FortiGateEndpointMapping FortiGateDevice FortiManagerTarget; do
    echo "  resource.customizations.health.fortisync.io_${kind}: |"
    sed -E 's/^(.+)$/    \1/' health.lua
  done
} > argocd-cm.yaml
