#!/usr/bin/env bash
# Installs the Debian packages hat needs, only those missing. Listed (with why) in DEVELOPERS.md.
# Needs root (or sudo) only when something is missing.
#   scripts/deps.sh          what building and running need (make run)
#   scripts/deps.sh --test   also what only the tests need (make test): promtool, chromium
set -u
PKGS=(
  build-essential     # gcc, make
  libuv1-dev          # event loops: hlsim, feedd, execd's private stream, superd
  libwslay-dev        # WebSocket framing (client and server)
  libcurl4-openssl-dev # execd's persistent HTTP/1.1 + HTTP/2 connection to /exchange
  libcjson-dev        # JSON: config, exchange messages
  libsecp256k1-dev    # ECDSA with the recovery module (signing, signer recovery)
  libsodium-dev       # keystore encryption (Argon2id, XChaCha20-Poly1305), BLAKE2b audit chain
  libcmocka-dev       # unit and multi-process tests
  libssl-dev          # TLS for wss:// to the real exchange
  libhttp-parser-dev  # HTTP/1.1 parsing in hlsim and the metrics endpoint
  libzstd-dev         # cold journal compression
  zstd                # the zstd command for rotated journals
  procps              # ps/pgrep used by the launch script and tests
  psmisc              # killall/fuser used by scripts
  curl                # the launch script's health checks
  jq                  # backtest.sh: the run config (model paths), fill times
)
if [ "${1:-}" = "--test" ]; then
  PKGS+=(
    prometheus        # promtool, which validates superd's /metrics in the tests
    chromium          # headless render check of hat-report's HTML in the tests
  )
fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing missing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "deps: not root and no sudo; run as root: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; refresh them once if a package is unknown.
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/hat-deps.log 2>&1; then
  echo "deps: refreshing package lists (apt-get update)"
  $SUDO apt-get update -qq >>/tmp/hat-deps.log 2>&1
  if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >>/tmp/hat-deps.log 2>&1; then
    echo "deps: apt-get install failed; see /tmp/hat-deps.log, then retry 'make deps'" >&2
    tail -5 /tmp/hat-deps.log >&2
    exit 1
  fi
fi
# Only promtool is wanted from the prometheus package: never leave its server running.
if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null 2>&1; then
  $SUDO systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
echo "deps: installed ${missing[*]}"
