#!/usr/bin/env bash
# scripts/launch.sh -- run the hat pipeline: hlsim (when the config's venue is the simulator),
# then superd, which starts the stages. `make run` calls this.
#
#   scripts/launch.sh [--config FILE] [--duration SECONDS] [--record DIR] [--fresh]
#                     [--no-build] [--bin-dir DIR] [--expect-restarts N] [--hlsim-config FILE]
#
#   --config FILE   configuration (default etc/hat.json)
#   --record DIR    feedd records what it receives to journals in DIR (run config feedd.record)
#   --fresh         superd recreates the shared memory (unread ring messages are lost)
#   --no-build      do not run `make all` first
#   --bin-dir DIR   where hatctl, superd and hlsim are (default build/bin)
#   --hlsim-config FILE  the simulator's own config (coins, fees, funded test accounts;
#                   default tools/hlsim/hlsim.json, which funds hlsim's test key)
#
# Interactive (no --duration): runs until Ctrl-C (or `hatctl stop`), then stops superd first
# (it cancels all orders and stops the stages in order), then hlsim.
# --duration SECONDS: runs that long, takes the status, stops everything cleanly and exits 0
# only if the run was healthy: every stage up and ready at the end, no more restarts than
# --expect-restarts (default 0), no "level":"error"/"fatal" line in this run's logs, superd
# exited 0. The last line is always
#   SUMMARY orders=<n> fills=<n> rejects=<n> restarts=<n> errors=<n>
# (orders/fills/rejects: riskd's control-block counters approved, fills, rejected+exch_rejects,
# read with `hatctl status --summary` when superd comes up and just before the stop: the
# difference); restarts: stage restarts superd made
# during this run; errors: error/fatal lines written to the logs during this run.
# Exit codes: 0 ok/healthy, 1 unhealthy run, 2 usage or start-up failure.
set -u
cd "$(dirname "$0")/.." || exit 2

config=etc/hat.json duration="" record="" fresh=0 build=1 bin=build/bin expect_restarts=0
hlsim_config=tools/hlsim/hlsim.json
usage() { sed -n '2,/^set -u$/{/^set -u$/d;p}' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --config) config=${2:?--config needs a FILE}; shift 2;;
    --duration) duration=${2:?--duration needs SECONDS}; shift 2;;
    --record) record=${2:?--record needs a DIR}; shift 2;;
    --fresh) fresh=1; shift;;
    --no-build) build=0; shift;;
    --bin-dir) bin=${2:?--bin-dir needs a DIR}; shift 2;;
    --expect-restarts) expect_restarts=${2:?--expect-restarts needs N}; shift 2;;
    --hlsim-config) hlsim_config=${2:?--hlsim-config needs a FILE}; shift 2;;
    -h|--help) usage; exit 0;;
    *) echo "launch: unknown argument '$1'" >&2; usage >&2; exit 2;;
  esac
done
case "$duration" in ''|*[!0-9]*) [ -n "$duration" ] && { echo "launch: --duration wants whole seconds, got '$duration'" >&2; exit 2; };; esac
case "$expect_restarts" in *[!0-9]*|'') echo "launch: --expect-restarts wants a number" >&2; exit 2;; esac

say() { echo "launch: $*"; }
die() { echo "launch: $*" >&2; exit 2; }

if [ "$build" = 1 ]; then
  say "building (make all)"
  make --no-print-directory -s -j2 all || die "build failed"
fi
for p in hatctl superd; do
  [ -x "$bin/$p" ] || die "$bin/$p not found: build first (make all) or pass --bin-dir"
done
[ -r "$config" ] || die "config $config not found"
[ -r "$hlsim_config" ] || die "hlsim config $hlsim_config not found (--hlsim-config FILE)"

ctl() { "$bin/hatctl" --config "$config" "$@"; }
get() { ctl config get "$1" 2>/dev/null; }
instance=$(ctl config get instance) || die "cannot read $config (see above)"
run_dir=$(get paths.run_dir) log_dir=$(get paths.log_dir)
venue=$(get venue.kind) http=$(get venue.http)
mkdir -p "$run_dir" "$log_dir" || die "cannot create $run_dir or $log_dir"
if ctl status >/dev/null 2>&1; then
  die "superd is already running for instance $instance (build/bin/hatctl --config $config status)"
fi

runcfg="$run_dir/hat.run.$instance.json"
sets=()
hlsim_pid="" superd_pid=""

# ---------------------------------------------------------------- stop
superd_rc=""
stop_all() {
  trap '' INT TERM
  if [ -n "$superd_pid" ] && kill -0 "$superd_pid" 2>/dev/null; then
    say "stopping superd (pid $superd_pid): cancel-all, then the stages in order"
    kill -TERM "$superd_pid" 2>/dev/null
    local i=0
    while kill -0 "$superd_pid" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    if kill -0 "$superd_pid" 2>/dev/null; then
      say "superd did not stop within 30 s: SIGKILL"
      kill -KILL "$superd_pid" 2>/dev/null
    fi
  fi
  if [ -n "$superd_pid" ] && [ -z "$superd_rc" ]; then
    wait "$superd_pid" 2>/dev/null; superd_rc=$?
  fi
  if [ -n "$hlsim_pid" ] && kill -0 "$hlsim_pid" 2>/dev/null; then
    say "stopping hlsim (pid $hlsim_pid)"
    kill -TERM "$hlsim_pid" 2>/dev/null
    local j=0
    while kill -0 "$hlsim_pid" 2>/dev/null && [ $j -lt 100 ]; do sleep 0.1; j=$((j + 1)); done
    kill -0 "$hlsim_pid" 2>/dev/null && kill -KILL "$hlsim_pid" 2>/dev/null
    wait "$hlsim_pid" 2>/dev/null
  fi
}
on_signal() { echo; say "interrupted"; stop_all; say "stopped (superd exit ${superd_rc:-?})"; exit 0; }
trap on_signal INT TERM

# ---------------------------------------------------------------- hlsim
# Started in its own session (setsid) so a Ctrl-C on the terminal reaches only this script,
# which then stops superd first and hlsim last.
start_hlsim() { # port
  local pf="$run_dir/hlsim.$instance.port"
  rm -f "$pf"
  [ -x "$bin/hlsim" ] || die "$bin/hlsim not found (the venue is hlsim): build it (make all)"
  setsid "$bin/hlsim" --config "$hlsim_config" --port "$1" --port-file "$pf" >>"$log_dir/hlsim.log" 2>&1 &
  hlsim_pid=$!
  local i=0
  while [ ! -s "$pf" ] && [ $i -lt 100 ] && kill -0 "$hlsim_pid" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
  if [ ! -s "$pf" ]; then
    wait "$hlsim_pid" 2>/dev/null; hlsim_pid=""
    return 1
  fi
  hlsim_port=$(cat "$pf")
}
if [ "$venue" = "hlsim" ]; then
  port=$(printf '%s' "$http" | sed -n 's|^[a-z]*://[^/:]*:\([0-9][0-9]*\).*|\1|p')
  [ -n "$port" ] || port=0
  if ! start_hlsim "$port"; then
    [ "$port" != 0 ] && say "port $port is taken: starting hlsim on a free port"
    start_hlsim 0 || { tail -5 "$log_dir/hlsim.log" >&2; die "hlsim did not start (log: $log_dir/hlsim.log)"; }
  fi
  # Ready when /info answers.
  i=0
  until curl -s -o /dev/null --max-time 1 -H 'Content-Type: application/json' \
        -d '{"type":"meta"}' "http://127.0.0.1:$hlsim_port/info"; do
    i=$((i + 1))
    [ $i -lt 50 ] || { stop_all; die "hlsim does not answer on port $hlsim_port (log: $log_dir/hlsim.log)"; }
    sleep 0.1
  done
  say "hlsim up on 127.0.0.1:$hlsim_port (pid $hlsim_pid, log $log_dir/hlsim.log)"
  sets+=("venue.http=http://127.0.0.1:$hlsim_port" "venue.ws=ws://127.0.0.1:$hlsim_port/ws")
fi
if [ -n "$record" ]; then
  mkdir -p "$record" || die "cannot create $record"
  sets+=("feedd.record=true" "feedd.record_dir=$record")
fi
# The run config: the given one with the venue pointed at this hlsim (and recording on).
ctl config set "${sets[@]}" --out "$runcfg" >/dev/null || { stop_all; die "cannot write $runcfg"; }
rctl() { "$bin/hatctl" --config "$runcfg" "$@"; }

# ---------------------------------------------------------------- the key's passphrase
# execd decrypts its keystore at start; superd passes its environment to the stages. The
# shipped etc/test-key.json is hlsim's funded TEST key with the published passphrase
# "hat-test": against the simulator, and only then, the script supplies it. For a real key,
# export HAT_KEY_PASSPHRASE yourself (or configure execd to read it from a file descriptor).
keystore=$(ctl config get execd.keystore 2>/dev/null || true)
if [ -z "${HAT_KEY_PASSPHRASE:-}" ] && [ "$venue" = "hlsim" ] && [ "$keystore" = "etc/test-key.json" ]; then
  export HAT_KEY_PASSPHRASE=hat-test
  say "using hlsim's test key (etc/test-key.json, passphrase hat-test): paper trading only"
fi

# ---------------------------------------------------------------- superd
declare -A log_off=()
for f in "$log_dir"/*.log; do [ -f "$f" ] && log_off[$f]=$(stat -c %s "$f"); done
superd_args=(--config "$runcfg" --log "$log_dir/superd.log")
[ "$fresh" = 1 ] && superd_args+=(--fresh)
setsid "$bin/superd" "${superd_args[@]}" >"$log_dir/superd.out" 2>&1 &
superd_pid=$!
i=0
until rctl status >/dev/null 2>&1; do
  if ! kill -0 "$superd_pid" 2>/dev/null; then
    wait "$superd_pid"; superd_rc=$?; superd_pid=""
    cat "$log_dir/superd.out" >&2
    stop_all; die "superd exited with $superd_rc before it was up (log: $log_dir/superd.log)"
  fi
  i=$((i + 1)); [ $i -lt 100 ] || { stop_all; die "superd's control socket did not appear"; }
  sleep 0.1
done
cat "$log_dir/superd.out"
# Baseline of the trading counters (they count since the instance's shared memory was made).
summary0=$(rctl status --summary 2>/dev/null)
# Wait until superd has gone through its start-up sequence ("pipeline_started" in its log: it
# waits up to ready_timeout for each stage to report ready, then starts the next anyway), then
# up to 3 s more for every stage to be up.
sfield() { local v=${2#*"$1"=}; echo "${v%% *}"; }
started_line() { tail -c +"$(( ${log_off[$log_dir/superd.log]:-0} + 1 ))" "$log_dir/superd.log" 2>/dev/null |
                 grep -q '"event":"pipeline_started"'; }
i=0 settled=0
while [ $i -lt 3000 ] && kill -0 "$superd_pid" 2>/dev/null; do
  s=$(rctl status --summary 2>/dev/null)
  [ -n "$s" ] && [ "$(sfield up "$s")" = "$(sfield stages "$s")" ] && break
  if started_line; then settled=$((settled + 1)); [ $settled -ge 30 ] && break; fi
  sleep 0.1; i=$((i + 1))
done
rctl status
metrics=$(rctl config get superd.metrics_port 2>/dev/null || echo 0)
cat <<EOF
launch: pipeline '$instance' running (superd pid $superd_pid)
  logs:      $log_dir/<stage>.log, $log_dir/superd.log${hlsim_pid:+, $log_dir/hlsim.log}
  metrics:   $( [ "$metrics" != 0 ] && echo "http://127.0.0.1:$metrics/metrics" || echo "off (superd.metrics_port 0)")
  status:    $bin/hatctl --config $runcfg status
  inspector: $bin/hatshm --config $runcfg watch
  stop:      Ctrl-C here, or $bin/hatctl --config $runcfg stop
EOF

# ---------------------------------------------------------------- interactive
if [ -z "$duration" ]; then
  wait "$superd_pid"; superd_rc=$?
  say "superd exited with $superd_rc"
  stop_all
  exit $([ "$superd_rc" = 0 ] && echo 0 || echo 1)
fi

# ---------------------------------------------------------------- timed run
end=$((SECONDS + duration))
while [ $SECONDS -lt $end ] && kill -0 "$superd_pid" 2>/dev/null; do sleep 1; done
problems=()
summary="" final="$run_dir/final-status.$instance.json"
if kill -0 "$superd_pid" 2>/dev/null; then
  rctl status --json >"$final" 2>/dev/null
  summary=$(rctl status --summary 2>/dev/null)
  rctl status
else
  problems+=("superd exited before the end of the run")
fi
stop_all
field() { # name [summary line]
  local s=${2-$summary}; local v=${s#*"$1"=}; [ "$v" = "$s" ] && { echo 0; return; }; echo "${v%% *}"; }
delta() { local a b; a=$(field "$1"); b=$(field "$1" "$summary0"); [ -n "$summary" ] && echo $((a - b)) || echo 0; }
stages=$(field stages) up=$(field up) ready=$(field ready)
# Restarts during this run: the control blocks keep counting across runs of an instance, so
# count superd's own spawn lines of this run instead.
restarts=$(tail -c +"$(( ${log_off[$log_dir/superd.log]:-0} + 1 ))" "$log_dir/superd.log" 2>/dev/null |
           grep -cE '"event":"stage_spawned".*"restarts":[1-9]')
errors=0
for f in "$log_dir"/*.log; do
  [ -f "$f" ] || continue
  off=${log_off[$f]:-0}
  n=$(tail -c +"$((off + 1))" "$f" | grep -cE '"level":"(error|fatal)"')
  if [ "$n" -gt 0 ]; then
    errors=$((errors + n))
    problems+=("$n error/fatal line(s) in $f")
    tail -c +"$((off + 1))" "$f" | grep -E '"level":"(error|fatal)"' | head -3 | sed 's/^/    /'
  fi
done
[ -n "$summary" ] && [ "$up" != "$stages" ] && problems+=("only $up of $stages stages up at the end")
[ -n "$summary" ] && [ "$ready" != "$stages" ] && problems+=("only $ready of $stages stages ready at the end")
[ -n "$summary" ] && [ "$restarts" -gt "$expect_restarts" ] && problems+=("$restarts restart(s), expected at most $expect_restarts")
[ "${superd_rc:-1}" != 0 ] && problems+=("superd exited with ${superd_rc:-?}")
rc=0
if [ ${#problems[@]} -gt 0 ]; then
  rc=1
  for p in "${problems[@]}"; do say "UNHEALTHY: $p"; done
else
  say "healthy run of ${duration}s"
fi
echo "SUMMARY orders=$(delta orders) fills=$(delta fills) rejects=$(delta rejects) restarts=$restarts errors=$errors"
exit $rc
