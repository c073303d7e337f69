#!/usr/bin/env bash
# Installs the system tools the test suites drive for real (Debian/apt). Idempotent:
# packages already present are skipped, so a warm machine pays nothing.
set -euo pipefail

PACKAGES=(redis-server redis-sentinel buildah docker-registry prometheus chromium kubernetes-client)

missing=()
for pkg in "${PACKAGES[@]}"; do
  # kubectl may come from another package (e.g. Google's `kubectl`); any kubectl with Kustomize will do.
  if [ "$pkg" = kubernetes-client ] && command -v kubectl >/dev/null 2>&1; then continue; fi
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup:system: all present (${PACKAGES[*]})"
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "setup:system: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The Debian packages start services we do not want holding ports; tests start their own.
for svc in docker-registry prometheus prometheus-node-exporter redis-sentinel; do
  if command -v service >/dev/null 2>&1; then $SUDO service "$svc" stop >/dev/null 2>&1 || true; fi
done
