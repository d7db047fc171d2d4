#!/usr/bin/env bash
# Runs every test of make test: cmocka binaries, fuzz corpus replays (binary:corpus_dir) and
# shell tests (*.sh), each under a wall-clock timeout, then prints one summary line.
# Usage: scripts/run-tests.sh [--timeout SECONDS] ITEM...
set -u
timeout_s=300
if [ "${1:-}" = "--timeout" ]; then timeout_s=$2; shift 2; fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
passed=0 failed=0 failed_names=()
log_dir=build/test-logs; mkdir -p "$log_dir"
for item in "$@"; do
  case "$item" in
    *:*) bin=${item%%:*}; corpus=${item#*:}; name=$(basename "$bin")
         cmd=("$bin" "$corpus");;
    *.sh) name=$(basename "$item" .sh); cmd=(bash "$item");;
    *) name=$(basename "$item"); cmd=("$item");;
  esac
  start=${EPOCHREALTIME/./}
  timeout --kill-after=10 "$timeout_s" "${cmd[@]}" >"$log_dir/$name.log" 2>&1
  rc=$?
  us=$(( ${EPOCHREALTIME/./} - start )); secs="$((us / 1000000)).$(( (us / 100000) % 10 ))"
  # cmocka's own lines, so the summary of each binary shows in the CI log.
  grep -E '^\[ *(PASSED|FAILED|  ERROR|==========) *\]|^\[  FAILED  \]' "$log_dir/$name.log" | sed "s|^|$name: |"
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1)); echo "ok   $name (${secs}s)"
  else
    failed=$((failed + 1)); failed_names+=("$name")
    [ $rc -eq 124 ] && echo "FAIL $name: timed out after ${timeout_s}s" || echo "FAIL $name: exit $rc"
    echo "---- last lines of $log_dir/$name.log"; tail -40 "$log_dir/$name.log"; echo "----"
  fi
done
[ $failed -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
