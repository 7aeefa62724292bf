#!/usr/bin/env bash
# scripts/install-test-deps.sh
# Installs the Debian packages Postern's end-to-end tests need (real nginx mail proxy,
# Dovecot, swaks, curl, openssl, python3, dnsmasq as a DNS server) on a fresh Debian 12 machine. Idempotent: only
# missing packages are installed, and `apt-get update` runs only when something is missing.
# The postinst scripts of nginx and dovecot-core would start the system services on
# 0.0.0.0; a /usr/sbin/policy-rc.d containing `exit 101` prevents that while installing.
# It is created only if none exists, and only the file this script created is removed.
# Must run as root (no sudo is used).
set -euo pipefail

PACKAGES=(
  nginx
  libnginx-mod-mail
  dovecot-imapd
  dovecot-pop3d
  swaks
  libnet-ssleay-perl
  curl
  openssl
  python3
  ca-certificates
  chromium
  dnsmasq-base
)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps: must run as root (it installs Debian packages with apt-get)." >&2
  echo "  Run:  sudo $0    (or as root:  bash $0)" >&2
  exit 1
fi

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: dpkg-query/apt-get not found: this script is for Debian 12." >&2
  exit 1
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
  if [ "$status" = "install ok installed" ]; then
    echo "install-test-deps: $pkg already installed"
  else
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-test-deps: nothing to do"
  exit 0
fi

POLICY=/usr/sbin/policy-rc.d
created_policy=0
cleanup() {
  if [ "$created_policy" -eq 1 ]; then
    rm -f "$POLICY"
    echo "install-test-deps: removed the $POLICY this script created"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if [ -e "$POLICY" ]; then
  echo "install-test-deps: $POLICY already exists; leaving it as it is"
else
  printf '#!/bin/sh\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
  created_policy=1
  echo "install-test-deps: created $POLICY (exit 101) so services are not started"
fi

echo "install-test-deps: apt-get update"
apt-get update
echo "install-test-deps: installing: ${missing[*]}"
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
echo "install-test-deps: installed: ${missing[*]}"
