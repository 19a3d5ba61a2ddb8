#!/bin/sh
# The whole check: types, lint, then every vitest suite against real servers.
set -eu
tsc --noEmit
eslint --max-warnings=0 .
prettier --check . >/dev/null || { prettier --check . ; echo "formatting differs: run npm run format" >&2; exit 1; }
exec vitest run "$@"
