#!/usr/bin/env bash
# Run every suite against the throwaway cluster (already started by
# `make test`): pg_regress, pgTAP, then the integration suites in test/*/run.
# Each suite runs even if an earlier one failed; the exit status is non-zero
# if any failed, and the last line counts suites passed and failed.
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
failed_names=()

run_suite() {
  local name=$1; shift
  echo
  echo "=== $name ==="
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failed_names+=("$name")
  fi
}

run_suite "pg_regress" scripts/cluster.sh regress
run_suite "pgTAP" scripts/cluster.sh pgtap
for runner in test/*/run; do
  [ -x "$runner" ] || continue
  run_suite "$(basename "$(dirname "$runner")")" "$runner"
done

echo
[ $failed -gt 0 ] && echo "failed suites: ${failed_names[*]}"
echo "suites: $passed passed, $failed failed"
[ $failed -eq 0 ]
