#!/bin/sh
# The whole check: types, lint, then every vitest suite against real servers.
set -eu
tsc --noEmit
eslint --max-warnings=0 .
exec vitest run "$@"
