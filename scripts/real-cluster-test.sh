#!/usr/bin/env bash
# Runs the rollout suites against a real Kubernetes cluster made on this machine with kind, k3d or
# minikube (whichever is installed, in that order), then deletes it. The simulator stays the default
# test target; this is how the same scenarios are checked against a real API server.
#   npm run test:real-cluster            # make a cluster, run, delete it
#   KEEP_CLUSTER=1 npm run test:real-cluster
# Needs Docker (or Podman) for the cluster and internet access for the cluster to pull its images
# (registry.k8s.io/pause, busybox): the server resolves each image's digest in its registry first.
set -euo pipefail
name=switchyard-e2e
kubeconfig="$(mktemp -t switchyard-e2e-kubeconfig.XXXXXX)"
cleanup() {
  if [ -z "${KEEP_CLUSTER:-}" ]; then
    case "$tool" in
      kind) kind delete cluster --name "$name" >/dev/null 2>&1 || true ;;
      k3d) k3d cluster delete "$name" >/dev/null 2>&1 || true ;;
      minikube) minikube delete -p "$name" >/dev/null 2>&1 || true ;;
    esac
    rm -f "$kubeconfig"
  else
    echo "cluster kept; KUBECONFIG=$kubeconfig"
  fi
}
if command -v kind >/dev/null; then
  tool=kind
  kind create cluster --name "$name" --kubeconfig "$kubeconfig" --wait 120s
elif command -v k3d >/dev/null; then
  tool=k3d
  k3d cluster create "$name" --kubeconfig-update-default=false --wait
  k3d kubeconfig get "$name" >"$kubeconfig"
elif command -v minikube >/dev/null; then
  tool=minikube
  KUBECONFIG="$kubeconfig" minikube start -p "$name" --wait=all
else
  echo "real-cluster suite: install kind, k3d or minikube (and Docker) first" >&2
  exit 2
fi
trap cleanup EXIT
# The suite's images; give them as repository:tag@sha256:… to pin them.
export ROLLOUT_TEST_IMAGE="${ROLLOUT_TEST_IMAGE:-registry.k8s.io/pause:3.10}"
export ROLLOUT_TEST_CRASH_IMAGE="${ROLLOUT_TEST_CRASH_IMAGE:-busybox:1.36}"
KUBECONFIG="$kubeconfig" npm test -- test/e2e/rollout/real-cluster.spec.ts
