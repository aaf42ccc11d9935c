#!/usr/bin/env bash
# Render the webhook's plain manifests (deploy/kubefort-webhook.yaml) from the
# Helm chart, with helm built once from the Go module proxy into a cache
# outside the repository. `--check` fails when the committed file differs.
set -euo pipefail
cd "$(dirname "$0")/.."
HELM_VERSION=${HELM_VERSION:-v3.19.0}
tools="${XDG_CACHE_HOME:-$HOME/.cache}/kubefort/tools/helm-$HELM_VERSION"
helm="$tools/helm"
if [ ! -x "$helm" ]; then
  command -v go >/dev/null || { echo "error: building helm needs Go" >&2; exit 1; }
  mkdir -p "$tools"
  echo "building helm $HELM_VERSION (once) into $tools" >&2
  GOBIN="$tools" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
{
  echo "# kubefort admission webhook: plain manifests for the namespace kubefort."
  echo "# Rendered from deploy/helm/kubefort by scripts/render-deploy.sh; do not edit."
  echo "# The TLS Secret and the ValidatingWebhookConfiguration come from"
  echo "# \`kubefort webhook init --namespace kubefort\` (docs/webhook.md)."
  "$helm" template kubefort deploy/helm/kubefort \
    --namespace kubefort \
    --set namespace.create=true \
    --set certificates.source=secret \
    --set webhook.create=false
} > "$out"
if [ "${1:-}" = "--check" ]; then
  if ! diff -u deploy/kubefort-webhook.yaml "$out"; then
    echo "error: deploy/kubefort-webhook.yaml is not what the chart renders: run scripts/render-deploy.sh" >&2
    exit 1
  fi
  # Every way the chart can be rendered renders.
  for args in "" "--set certificates.source=cert-manager" "--set certificates.source=secret --set certificates.caBundle=Cg==" "--set antiAffinity=required --set webhook.failurePolicy=Ignore"; do
    # shellcheck disable=SC2086
    "$helm" template kubefort deploy/helm/kubefort --namespace kubefort $args > /dev/null
  done
else
  cp "$out" deploy/kubefort-webhook.yaml
fi
