#!/bin/sh
# The whole check, in steps run one after another so each has both cores to itself:
#   1. types, lint, formatting
#   2. the compose stack's images (scripts/prepare-compose.ts: the Docker engine, the stand-ins,
#      the project's image; loaded from the machine's cache when built before)
#   3. the main suites (vitest: the slowest files start first; the ten slowest are listed at the end)
#   4. the compose stack end to end (test/compose/, on the images of step 2)
# Each step prints when it starts, and at the end how long each took and how busy the machine was.
# A failed step does not hide the others' results; the exit status says whether all passed.
# FAILOVER_SKIP_COMPOSE=1 leaves out steps 2 and 4. Arguments go to the main suites' vitest.
set -u
mkdir -p .data
SUMMARY=.data/test-steps.txt
: > "$SUMMARY"
status=0

busy() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat 2>/dev/null || echo "0 0"; }

# step <name> <command...>: runs it, records its time, its result and the machine's CPU use.
step() {
  name=$1
  shift
  echo "[test] ── $name" >&2
  t0=$(date +%s)
  b0=$(busy)
  "$@"
  rc=$?
  b1=$(busy)
  t=$(($(date +%s) - t0))
  cpu=$(echo "$b0 $b1" | awk '{d=$4-$2; if (d>0) printf "%d%%", 100*($3-$1)/d; else print "?"}')
  result=$([ $rc -eq 0 ] && echo ok || echo "FAILED ($rc)")
  printf '%-34s %-12s %6s s   cpu %s\n' "$name" "$result" "$t" "$cpu" >> "$SUMMARY"
  echo "[test] ── $name: $result in $t s" >&2
  [ $rc -eq 0 ] || status=1
  return $rc
}

static() {
  tsc --noEmit && eslint --max-warnings=0 . &&
    { prettier --check . >/dev/null || { prettier --check . ; echo "formatting differs: run npm run format" >&2; false; }; }
}

step "types, lint, formatting" static
if [ "${FAILOVER_SKIP_COMPOSE:-}" = 1 ]; then
  echo "[test] compose stack left out (FAILOVER_SKIP_COMPOSE=1)" >&2
  images=skipped
else
  step "compose images" node scripts/prepare-compose.ts && images=ok || images=failed
fi
step "main suites" vitest run "$@"
case $images in
  ok) step "compose stack (end to end)" vitest run --config vitest.compose.config.ts ;;
  failed) echo "[test] compose stack test not run: its images could not be built (above)" >&2 ;;
esac

echo "" >&2
echo "[test] steps:" >&2
cat "$SUMMARY" >&2
[ -f .data/slowest-files.txt ] && { echo "[test] slowest test files:" >&2; cat .data/slowest-files.txt >&2; }
exit $status
