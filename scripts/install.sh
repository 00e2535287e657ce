#!/usr/bin/env bash
# Installs skiff on this Linux machine and starts it with the built-in default config.
#   sudo bash scripts/install.sh            install, then run skiff (systemd service if
#                                           systemd runs the host, else in the foreground)
#   sudo bash scripts/install.sh --no-start install only
# What it does: Debian packages skiff drives (runc, conmon, catatonit, the CNI plugins, iptables), the pinned bun from npm,
# the JS dependencies, a compiled binary, then `skiff install` (see README: Installing).
set -euo pipefail
cd "$(dirname "$0")/.."
start=1
[ "${1:-}" = "--no-start" ] && start=0

if [ "$(id -u)" != 0 ]; then
  echo "install.sh: run as root (it installs packages and /usr/local/bin/skiff)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends ca-certificates runc conmon catatonit containernetworking-plugins iptables util-linux iproute2
command -v npm >/dev/null 2>&1 || apt-get install -y -q --no-install-recommends nodejs npm

BUN_VERSION=1.4.4
if [ "$(bun --version 2>/dev/null || true)" != "$BUN_VERSION" ]; then
  npm install -g --no-fund --no-audit "bun@$BUN_VERSION"
fi
bun install --frozen-lockfile
bun scripts/build-binary.ts linux-x64

# skiff installs itself: /usr/local/bin/skiff, the systemd unit, /etc/skiff/config.toml
# (kept if there), /etc/crictl.yaml (kept if not skiff's), the default CNI network, after
# `skiff doctor` passed. It enables and starts the unit when systemd runs the host.
install_args=()
[ "$start" = 1 ] || install_args+=(--no-start)
dist/skiff-linux-x64 install "${install_args[@]}"

[ "$start" = 1 ] || exit 0
if [ -d /run/systemd/system ]; then
  echo "skiff is running as skiff.service; try: skiff version"
else
  echo "starting skiff in the foreground (Ctrl-C stops it); try 'skiff version' from another shell"
  exec /usr/local/bin/skiff serve
fi
