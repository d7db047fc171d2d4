#!/usr/bin/env bash
# tests/launch_duration.sh -- scripts/launch.sh --duration with a small config: hlsim on a free
# port, superd over stand-in stages (hat-fakestage via superd.bin_dir). A healthy run exits 0
# with a well-formed SUMMARY line and leaves nothing running; a crash-looping stage makes the
# run unhealthy (exit 1, restarts counted, reasons printed); bad arguments exit 2.
set -u
bin=${HAT_REL_BIN_DIR:-build/bin}
fails=0
tmp=$(mktemp -d); inst="tl$$"
cleanup() { rm -rf "$tmp"; rm -f /dev/shm/hat."$inst".*; }
trap cleanup EXIT
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }

for p in hatctl superd hlsim hat-fakestage; do
  [ -x "$bin/$p" ] || { echo "FAIL $bin/$p missing (make test-build)"; exit 1; }
done
mkdir -p "$tmp/bin"
for s in feedd signald riskd execd; do ln -s "$(realpath "$bin/hat-fakestage")" "$tmp/bin/$s"; done
"$bin/hatctl" config set instance="$inst" paths.run_dir="$tmp/run" paths.log_dir="$tmp/log" \
  paths.journal_dir="$tmp/journal" superd.metrics_port=0 superd.bin_dir="$tmp/bin" \
  superd.cancel_wait_ms=100 superd.ready_timeout_ms=1000 superd.max_restarts=2 \
  venue.http=http://127.0.0.1:0 --out "$tmp/hat.json" || { echo "FAIL config"; exit 1; }

# ---- a healthy run
scripts/launch.sh --no-build --bin-dir "$bin" --config "$tmp/hat.json" --duration 2 >"$tmp/out1" 2>&1
rc=$?
last=$(tail -n 1 "$tmp/out1")
[ $rc -eq 0 ] && ok "healthy run exits 0" || { bad "healthy run exits 0 (got $rc)"; cat "$tmp/out1"; }
if [[ "$last" =~ ^SUMMARY\ orders=[0-9]+\ fills=[0-9]+\ rejects=[0-9]+\ restarts=0\ errors=0$ ]]; then
  ok "SUMMARY line: $last"
else
  bad "SUMMARY line format: '$last'"
fi
grep -q '^launch: hlsim up on 127.0.0.1:[0-9]* (pid' "$tmp/out1" && ok "hlsim started on a free port" || bad "hlsim start line"
grep -q "\"venue\"" "$tmp/run/hat.run.$inst.json" && ! grep -q '127.0.0.1:0"' "$tmp/run/hat.run.$inst.json" \
  && ok "run config points at hlsim's port" || bad "run config venue"
grep -q 'launch: healthy run of 2s' "$tmp/out1" && ok "says healthy" || bad "healthy line"
spid=$(sed -n 's/^launch: pipeline .* running (superd pid \([0-9]*\))$/\1/p' "$tmp/out1")
hpid=$(sed -n 's/^launch: hlsim up on .* (pid \([0-9]*\),.*/\1/p' "$tmp/out1")
if [ -n "$spid" ] && [ -n "$hpid" ] && ! kill -0 "$spid" 2>/dev/null && ! kill -0 "$hpid" 2>/dev/null; then
  ok "superd and hlsim are gone after the run"
else
  bad "processes left (superd '$spid', hlsim '$hpid')"
fi
# superd stopped before hlsim, and the stages got cancel-all first
order=$(grep -o 'stopping superd\|stopping hlsim' "$tmp/out1" | tr '\n' ,)
[ "$order" = "stopping superd,stopping hlsim," ] && ok "stop order superd then hlsim" || bad "stop order: $order"
grep -q 'cmd cancel_all from=superd why=superd stop' "$tmp/log/execd.log" && ok "cancel-all before the stop" || bad "no cancel-all in execd.log"
"$bin/hatctl" --config "$tmp/hat.json" status >/dev/null 2>&1; [ $? -eq 2 ] && ok "hatctl: not running afterwards" || bad "superd still answers"

# ---- an unhealthy run: feedd crashes at start, superd restarts it, then escalates
FAKE_CRASH_FEEDD=1 scripts/launch.sh --no-build --bin-dir "$bin" --config "$tmp/hat.json" --duration 2 >"$tmp/out2" 2>&1
rc=$?
last=$(tail -n 1 "$tmp/out2")
[ $rc -eq 1 ] && ok "crash loop: exit 1" || { bad "crash loop: exit 1 (got $rc)"; cat "$tmp/out2"; }
if [[ "$last" =~ ^SUMMARY\ orders=0\ fills=0\ rejects=0\ restarts=[1-9][0-9]*\ errors=[1-9][0-9]*$ ]]; then
  ok "crash loop SUMMARY: $last"
else
  bad "crash loop SUMMARY: '$last'"
fi
grep -q 'launch: UNHEALTHY: only 3 of 4 stages up at the end' "$tmp/out2" && ok "names the down stage count" || bad "no 'only 3 of 4' line"
grep -q 'launch: UNHEALTHY: .* error/fatal line(s) in .*superd.log' "$tmp/out2" && ok "counts superd's error lines" || bad "no error-line report"

# ---- the same instance again, healthy: restarts of the earlier run (kept in the control
# blocks) do not count against this one
scripts/launch.sh --no-build --bin-dir "$bin" --config "$tmp/hat.json" --duration 1 >"$tmp/out5" 2>&1
rc=$?
last=$(tail -n 1 "$tmp/out5")
[ $rc -eq 0 ] && [ "$last" = "SUMMARY orders=0 fills=0 rejects=0 restarts=0 errors=0" ] \
  && ok "rerun counts only its own restarts" || { bad "rerun (rc $rc): '$last'"; cat "$tmp/out5"; }

# ---- bad arguments
scripts/launch.sh --duration soon >"$tmp/out3" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "wants whole seconds, got 'soon'" "$tmp/out3" && ok "bad --duration: exit 2" || bad "bad --duration (rc $rc)"
scripts/launch.sh --no-build --bin-dir "$bin" --config "$tmp/nope.json" >"$tmp/out4" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "config $tmp/nope.json not found" "$tmp/out4" && ok "missing config: exit 2" || bad "missing config (rc $rc)"

[ $fails -eq 0 ] && echo "launch_duration: all passed" || echo "launch_duration: $fails failed"
[ $fails -eq 0 ]
