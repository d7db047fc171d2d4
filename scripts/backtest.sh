#!/usr/bin/env bash
# scripts/backtest.sh -- a backtest through the live code: hlsim replays a recorded feed journal
# as its market, and the whole pipeline (superd with feedd, signald, riskd, execd) trades
# against it, as fast as the data allows. The result directory gets the CSVs (fills, orders,
# rejects, pnl, mids, books, trades), the logs, execd's audit trail, meta.json and report.html.
#
#   scripts/backtest.sh JOURNAL [--config FILE] [--speed max|X] [--out DIR] [--bin DIR]
#                        [--hlsim-config FILE]
#
#   JOURNAL        a feed journal (feedd --record; .hjl, .journal or compressed .zst), e.g.
#                  tests/data/sample-hlsim-btc-eth.journal
#   --config FILE  the strategy/risk configuration (default etc/hat.json); the venue, instance
#                  and paths are overridden for the run
#   --speed max|X  replay speed (default max: as fast as the pipeline keeps up)
#   --out DIR      result directory (default var/backtest/<UTC yyyymmddThhmmss>)
#   --bin DIR      programs (default build/bin)
#   execd's key passphrase comes from HAT_KEY_PASSPHRASE (a backtest never prompts).
#
# Last line on success:
#   RESULT fills=<n> volume=<usd> pnl=<usd> fees=<usd> max_drawdown=<usd> dir=<path>
# Exit codes: 0 done, 1 the run failed (logs named), 2 usage, 3 a prerequisite is missing (each
# missing piece is named: a program not built, or hlsim without replay support).
#
# How it runs (details and the determinism status: tools/report/README.md, "How a backtest runs"):
#   hlsim --replay JOURNAL --replay-speed max (lockstep: the next piece of the market once the
#   pipeline's reaction to the last one reached hlsim) --replay-start-file: the replay starts
#   when superd reports the pipeline up; the script waits for hlsim's "replay_done". The run
#   config lifts riskd's wall-clock throttles and reject breaker and turns the dead man's switch
#   off. Fills are taken from execd's audit trail, in the journal's time; execd.audit is kept.
#   --hlsim-config FILE  hlsim's own config (default tools/hlsim/hlsim.json: funds the test key)
#   HAT_BT_SETTLE_MS     lockstep quiet time in ms (default 10), for an hlsim without
#                        --replay-gate (with it, hlsim asks the pipeline's shared memory)
set -u

usage() { sed -n '2,/^set -u$/{/^set -u$/d;p}' "$0" | sed 's/^# \{0,1\}//'; }
say() { echo "backtest: $*" >&2; }
die() { say "$*"; exit 1; }

journal="" config=etc/hat.json speed=max out="" bin=build/bin hlsim_config=tools/hlsim/hlsim.json
while [ $# -gt 0 ]; do
  case "$1" in
    --config) config=${2:?--config needs a FILE}; shift 2;;
    --speed) speed=${2:?--speed needs max or a factor}; shift 2;;
    --out) out=${2:?--out needs a DIR}; shift 2;;
    --bin) bin=${2:?--bin needs a DIR}; shift 2;;
    --hlsim-config) hlsim_config=${2:?--hlsim-config needs a FILE}; shift 2;;
    -h|--help) usage; exit 0;;
    -*) say "unknown option $1"; usage >&2; exit 2;;
    *) [ -z "$journal" ] || { say "one JOURNAL only"; exit 2; }; journal=$1; shift;;
  esac
done
[ -n "$journal" ] || { usage >&2; exit 2; }
case "$speed" in max) ;; *[!0-9.]*|"") say "--speed: expected max or a number (got \"$speed\")"; exit 2;; esac
[ -r "$journal" ] || die "journal $journal not found or not readable"
[ -r "$config" ] || die "config $config not found or not readable"
[ -r "$hlsim_config" ] || die "hlsim config $hlsim_config not found or not readable"
# The shipped keystore is hlsim's funded TEST key with its published passphrase (as launch.sh):
# supplied only for that key; any other key needs HAT_KEY_PASSPHRASE from the caller.
keystore=$("$bin/hatctl" --config "$config" config get execd.keystore 2>/dev/null || true)
if [ -z "${HAT_KEY_PASSPHRASE:-}" ] && [ "$keystore" = "etc/test-key.json" ]; then
  export HAT_KEY_PASSPHRASE=hat-test
fi

# ---------------------------------------------------------------- prerequisites
# Everything that is missing is named at once, with what to do about it.
missing=()
note() {
  case $1 in
    execd) echo " (execd is being written on branches execcore/execnet: not on main yet)";;
    hatctl) echo " (the ops helper's hatctl: not on main yet)";;
    *) echo " (make all)";;
  esac
}
for p in hlsim superd feedd signald riskd execd hatctl hat-report; do
  [ -x "$bin/$p" ] || missing+=("$p: $bin/$p is not built$(note "$p")")
done
data=""
if [ -x "$bin/hatctl" ] && "$bin/hatctl" data --help >/dev/null 2>&1; then data="$bin/hatctl data"
elif [ -x "$bin/hat-data" ]; then data="$bin/hat-data"
else missing+=("hat-data: $bin/hat-data is not built (make all)"); fi
tmpd=$(mktemp -d); trap 'rm -rf "$tmpd"' EXIT
if [ -x "$bin/hlsim" ]; then
  # Does this hlsim replay? It refuses --replay at start if not (-ENOTSUP).
  timeout 10 "$bin/hlsim" --replay "$journal" --port 0 --port-file "$tmpd/port" >"$tmpd/probe.log" 2>&1 &
  probe=$!
  i=0
  while [ ! -s "$tmpd/port" ] && kill -0 "$probe" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  if [ -s "$tmpd/port" ]; then kill -TERM "$probe" 2>/dev/null; wait "$probe" 2>/dev/null
  else
    wait "$probe" 2>/dev/null
    why=$(grep -m1 -iE 'replay|error' "$tmpd/probe.log" | cut -c1-200)
    missing+=("hlsim replay mode: hlsim --replay does not start (${why:-no port within 10 s})")
  fi
fi
if [ ${#missing[@]} -gt 0 ]; then
  say "cannot run a backtest yet; missing:"
  for m in "${missing[@]}"; do echo "  - $m" >&2; done
  exit 3
fi

# ---------------------------------------------------------------- result directory
[ -n "$out" ] || out=var/backtest/$(date -u +%Y%m%dT%H%M%S)
[ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ] && die "$out exists and is not empty"
mkdir -p "$out/logs" "$out/run" "$out/journal" || die "cannot create $out"
out=$(cd "$out" && pwd)
instance="bt$$"
hlsim_pid="" superd_pid=""
stop_superd() {
  if [ -n "$superd_pid" ] && kill -0 "$superd_pid" 2>/dev/null; then
    kill -TERM "$superd_pid" 2>/dev/null
    local i=0
    while kill -0 "$superd_pid" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    kill -0 "$superd_pid" 2>/dev/null && kill -KILL "$superd_pid" 2>/dev/null
    wait "$superd_pid" 2>/dev/null
  fi
  superd_pid=""
}
stop_all() {
  stop_superd
  if [ -n "$hlsim_pid" ] && kill -0 "$hlsim_pid" 2>/dev/null; then
    kill -TERM "$hlsim_pid" 2>/dev/null
    local j=0
    while kill -0 "$hlsim_pid" 2>/dev/null && [ $j -lt 100 ]; do sleep 0.1; j=$((j + 1)); done
    kill -0 "$hlsim_pid" 2>/dev/null && kill -KILL "$hlsim_pid" 2>/dev/null
    wait "$hlsim_pid" 2>/dev/null
  fi
  hlsim_pid=""
  # The instance's shared memory (superd leaves it for a restart; a backtest is over).
  rm -f /dev/shm/hat."$instance".* 2>/dev/null
}
fail() { stop_all; say "$*"; say "logs: $out/logs"; exit 1; }
trap 'stop_all; rm -rf "$tmpd"; exit 130' INT TERM

# ---------------------------------------------------------------- hlsim (replay)
# hlsim's replay reads plain journals: a cold (.zst) one is decompressed into the result dir.
replay_file=$(realpath "$journal")
if [ "$(head -c 4 "$journal" | od -An -tx1 | tr -d ' ')" = "28b52ffd" ]; then
  replay_file="$out/run/replay.journal"
  zstd -q -d -c "$journal" >"$replay_file" || fail "cannot decompress $journal (zstd)"
fi
# The journal's span (hat-data ls: FROM .. TO) bounds the replay when hlsim cannot say it is done.
span=$($data ls "$journal" | awk 'NR == 2 { print $2, $3 }')
t_from=$(date -u -d "${span%% *}" +%s 2>/dev/null || echo 0)
t_to=$(date -u -d "${span##* }" +%s 2>/dev/null || echo 0)
span_s=$((t_to - t_from + 1))
# hlsim's own config funds the test key (tools/hlsim/hlsim.json); its replay waits for the start
# file, which is created once superd reports the whole pipeline up (no stage misses the start).
hl_args=(--config "$hlsim_config" --replay "$replay_file" --port 0 --port-file "$out/run/hlsim.port"
  --seed 1 --replay-start-file "$out/run/replay.start" --replay-settle-ms ${HAT_BT_SETTLE_MS:-10} --tick-ms 2)
if "$bin/hlsim" --help 2>&1 | grep -q -- '--replay-speed'; then
  hl_args+=(--replay-speed "$speed")
  # Lockstep steps when the pipeline itself says it is done (its shared memory and pongs,
  # tools/hlsim/gate.h), not after a quiet time a loaded machine can exceed.
  [ "$speed" = max ] && "$bin/hlsim" --help 2>&1 | grep -q -- '--replay-gate' &&
    hl_args+=(--replay-gate "$instance")
  [ "$speed" = max ] && wait_s=$((span_s * 4 + 600)) || wait_s=$(awk -v s="$span_s" -v x="$speed" 'BEGIN { printf "%d", s / x + 600 }')
else
  # This hlsim replays at the recorded pace only.
  [ "$speed" = max ] || [ "$speed" = 1 ] || say "hlsim has no --replay-speed: replaying at the recorded pace"
  say "hlsim replays at the recorded pace (no --replay-speed): about ${span_s} s"
  wait_s=$span_s
fi
setsid "$bin/hlsim" "${hl_args[@]}" >"$out/logs/hlsim.log" 2>&1 &
hlsim_pid=$!
i=0
while [ ! -s "$out/run/hlsim.port" ] && kill -0 "$hlsim_pid" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ -s "$out/run/hlsim.port" ] || fail "hlsim did not start (log: $out/logs/hlsim.log)"
port=$(cat "$out/run/hlsim.port")

# ---------------------------------------------------------------- pipeline
runcfg="$out/hat.run.json"
"$bin/hatctl" --config "$config" config set "instance=$instance" \
  "venue.kind=hlsim" "venue.http=http://127.0.0.1:$port" "venue.ws=ws://127.0.0.1:$port/ws" \
  "paths.log_dir=$out/logs" "paths.run_dir=$out/run" "paths.journal_dir=$out/journal" \
  "execd.audit_file=$out/execd.audit" "execd.nonce_file=$out/run/execd.nonce" "execd.wal_dir=$out/run" \
  "signald.time_source=data" "signald.state_dir=$out/run" \
  "riskd.max_orders_per_s=100000" "riskd.max_cancels_per_s=100000" "execd.dead_man_ms=0" \
  "riskd.max_rejects=1024" "riskd.reject_window_ms=1" "riskd.position_publish_ms=0" "execd.max_in_flight=1" "execd.max_batch=1" "execd.use_ws_post=true" "execd.request_timeout_ms=60000" \
  "superd.metrics_port=0" --out "$runcfg" >/dev/null || fail "cannot write the run config $runcfg"
# A strategy's model file is an input of the backtest, like the config: the run starts from a
# copy in the result dir and updates only that copy. A backtest never changes the live model,
# and two runs of one journal start from the same weights.
n_strat=$(jq '.signald.strategies | length' "$runcfg") || fail "cannot read $runcfg"
for ((i = 0; i < n_strat; i++)); do
  mpath=$(jq -r ".signald.strategies[$i].params.model.path // empty" "$runcfg")
  [ -n "$mpath" ] || continue
  coin=$(jq -r ".signald.strategies[$i].coin" "$runcfg")
  if [ -f "$mpath" ]; then
    cp "$mpath" "$out/run/model.$coin" || fail "cannot copy the $coin model $mpath"
    say "the $coin model starts from $mpath (a copy: run/model.$coin)"
  else
    say "the $coin model starts empty ($mpath does not exist)"
  fi
  jq --arg p "$out/run/model.$coin" ".signald.strategies[$i].params.model.path = \$p" "$runcfg" \
    >"$runcfg.tmp" && mv "$runcfg.tmp" "$runcfg" || fail "cannot point the $coin model at the run dir"
done
setsid "$bin/superd" --config "$runcfg" --bin-dir "$bin" --log "$out/logs/superd.log" \
  >"$out/logs/superd.out" 2>&1 &
superd_pid=$!
say "replaying $journal at speed $speed: hlsim :$port, superd pid $superd_pid, instance $instance"

# The replay starts once every stage is up (superd: pipeline_started) and subscribed.
i=0
while ! grep -q pipeline_started "$out/logs/superd.log" 2>/dev/null; do
  kill -0 "$superd_pid" 2>/dev/null || fail "superd exited while starting the pipeline"
  [ $i -lt 1200 ] || fail "the pipeline did not start within 120 s (superd.log)"
  sleep 0.1; i=$((i + 1))
done
sleep 0.5
touch "$out/run/replay.start"

# Done when hlsim says the journal is exhausted ("replay_done" in its log), or when the
# journal's span has passed (an hlsim that does not say it); the pipeline gets a moment to
# settle, then superd's stop cancels every order (as it would live).
start=$SECONDS
while ! grep -q replay_done "$out/logs/hlsim.log" 2>/dev/null; do
  kill -0 "$hlsim_pid" 2>/dev/null || fail "hlsim exited during the replay"
  kill -0 "$superd_pid" 2>/dev/null || fail "superd exited during the replay"
  [ $((SECONDS - start)) -lt "$wait_s" ] || break
  sleep 0.2
done
sleep 1
stop_superd

# ---------------------------------------------------------------- results
[ -s "$out/execd.audit" ] || say "warning: execd wrote no audit trail (no orders?)"
touch "$out/execd.audit"
# The fills come from execd's audit trail (one "event" line per fill, the exchange's fill
# object), on a copy (run/export.audit; execd.audit stays the hash-chained original) whose fill
# times go back to the journal's: in lockstep (--speed max) hlsim's clock is the recorded time +
# offset_ms (whole days, in its replay_start line). hlsim's own count (userFillsByTime, at most
# 2000) is a cross-check: fewer fills in the trail than hlsim booked means execd missed some.
off=$(grep -m1 -o '"event":"replay_start".*"offset_ms":[0-9]*' "$out/logs/hlsim.log" | grep -o '[0-9]*$')
fill_line='"kind":"event","nonce":0,"body":{"fills":'
grep -v "$fill_line" "$out/execd.audit" >"$out/run/export.audit" || true
grep "$fill_line" "$out/execd.audit" |
  jq -c --argjson off "${off:-0}" '.body.fills |= map(.time -= $off)' >>"$out/run/export.audit" ||
  fail "cannot move the audit's fill times back to the journal's (jq)"
n_audit=$(grep -c "$fill_line" "$out/execd.audit" || true)
addr=$(grep -o '"account":"0x[0-9a-fA-F]\{40\}"' "$out/logs/execd.log" | head -1 | cut -d'"' -f4)
if [ -n "$addr" ]; then
  n_hlsim=$(curl -s --max-time 30 -H 'Content-Type: application/json' \
    -d "{\"type\":\"userFillsByTime\",\"user\":\"$addr\",\"startTime\":0}" "http://127.0.0.1:$port/info" |
    jq 'if type == "array" then length else -1 end' 2>/dev/null || echo -1)
  if [ "${n_hlsim:--1}" -lt 0 ]; then
    say "warning: could not ask hlsim for its fills (cross-check skipped)"
  elif [ "$n_hlsim" -lt 2000 ] && [ "$n_hlsim" -ne "${n_audit:-0}" ]; then
    say "warning: hlsim booked $n_hlsim fills, execd's audit trail has ${n_audit:-0} (see logs/execd.log)"
  fi
fi
stop_all
$data export "$journal" --csv --out "$out" >"$out/logs/export-journal.out" 2>&1 ||
  say "warning: the journal export stopped early (see $out/logs/export-journal.out)"
$data export "$out/run/export.audit" --audit --csv --mids "$out/mids.csv" --out "$out" \
  >"$out/logs/export-audit.out" 2>&1 || fail "audit export failed: $(tail -1 "$out/logs/export-audit.out")"
cat >"$out/meta.json" <<EOF
{"title": "backtest $(basename "$out")", "journal": "$journal", "config": "$config", "sample_ms": 1000, "speed": "$speed"}
EOF
summary=$("$bin/hat-report" "$out" 2>&1) || fail "hat-report failed: $summary"
f() { local v=${summary#*" $1="}; echo "${v%% *}"; }
echo "report: $out/report.html"
echo "RESULT fills=$(f fills) volume=$(f volume) pnl=$(f pnl) fees=$(f fees) max_drawdown=$(f max_drawdown) dir=$out"
