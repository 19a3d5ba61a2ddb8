#!/bin/sh
# The whole check: types, lint, formatting, then every vitest suite against real servers. The
# compose stack's end-to-end test (its own daemon and images) runs beside the main suites.
set -eu
tsc --noEmit
eslint --max-warnings=0 .
prettier --check . >/dev/null || { prettier --check . ; echo "formatting differs: run npm run format" >&2; exit 1; }
mkdir -p .data
if [ "${FAILOVER_SKIP_COMPOSE:-}" = 1 ]; then
  echo "[test] compose stack test skipped (FAILOVER_SKIP_COMPOSE=1)" >&2
  exec vitest run "$@"
fi
vitest run --config vitest.compose.config.ts > .data/test-compose.log 2>&1 &
compose=$!
status=0
vitest run "$@" || status=$?
wait "$compose" || { status=1; echo "[test] compose stack test failed:" >&2; }
echo "[test] compose stack test (log in .data/test-compose.log):" >&2
tail -n 40 .data/test-compose.log >&2
exit $status
