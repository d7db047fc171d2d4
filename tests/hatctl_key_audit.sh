#!/usr/bin/env bash
# tests/hatctl_key_audit.sh -- hatctl key new|import|address and hatctl audit verify: exact
# output, exit codes (0 ok, 1 failure, 2 usage), the key never shown. Runs the subcommands
# through hatctl itself when it has them (it links cmd_key.c/cmd_audit.c), else through
# build/asan/bin/hatctl-exec (a stand-in main for the same two files); HATCTL=path overrides.
# Audit lines are built here with
# b2sum (BLAKE2b-256), an implementation independent of libsodium.
set -u
bindir=${HAT_BIN_DIR:-build/asan/bin}
bin=$bindir/hatctl-exec
if [ -x "$bindir/hatctl" ] && "$bindir/hatctl" key 2>&1 | grep -q 'usage: hatctl key new'; then
  bin=$bindir/hatctl
fi
bin=${HATCTL:-$bin}
echo "using $bin"
key=0x0123456789012345678901234567890123456789012345678901234567890123
addr=0x14791697260e4c9a71f18484c9f997b308e59325
fails=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

check_eq() { # name got want
  if [ "$2" == "$3" ]; then echo "ok   $1"; else echo "FAIL $1"; echo "  got:  $2"; echo "  want: $3"; fails=$((fails+1)); fi
}
# run: stdin-text args... -> $rc, $tmp/out, $tmp/err
run() { local input=$1; shift; printf '%s' "$input" | "$bin" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
no_key_anywhere() { # name files...
  local name=$1; shift
  if grep -qiF -- "${key#0x}" "$@" 2>/dev/null; then echo "FAIL $name: the key appears"; fails=$((fails+1)); else echo "ok   $name"; fi
}

# ---- key new (passphrase from the environment, cheap KDF)
HAT_KEY_PASSPHRASE=pw1 run "" key new --out "$tmp/new.json" --kdf interactive
check_eq "key new exit" "$rc" 0
got=$(cat "$tmp/out")
case "$got" in "keystore $tmp/new.json: address 0x"????????????????????????????????????????) ok=1;; *) ok=0;; esac
check_eq "key new prints the address" "$ok" 1
check_eq "key new mode" "$(stat -c %a "$tmp/new.json")" 600
run "" key address --in "$tmp/new.json"
check_eq "key address of new" "keystore $tmp/new.json: address $(cat "$tmp/out")" "$got"

# ---- key import (key on stdin, passphrase from fd 3)
run "$key" key import --out "$tmp/imp.json" --kdf interactive --passphrase-fd 3 3<<<"pw2"
check_eq "key import exit" "$rc" 0
check_eq "key import output" "$(cat "$tmp/out")" "keystore $tmp/imp.json: address $addr"
run "" key address --in "$tmp/imp.json"
check_eq "key address" "$(cat "$tmp/out")" "$addr"
no_key_anywhere "import: key not in file or output" "$tmp/imp.json" "$tmp/out" "$tmp/err"
run "$key" key import --out "$tmp/imp.json" --kdf interactive --passphrase-fd 3 3<<<"pw2"
check_eq "import refuses to overwrite (exit)" "$rc" 1
check_eq "import refuses to overwrite" "$(cat "$tmp/err")" "hatctl key: keystore $tmp/imp.json: exists (refusing to overwrite)"
run "${key}00" key import --out "$tmp/bad.json" --passphrase-fd 3 3<<<"pw2"
check_eq "import bad key (exit)" "$rc" 1
check_eq "import bad key" "$(cat "$tmp/err")" "hatctl key import: key: expected 0x and 64 hex digits (got 66)"
no_key_anywhere "bad key not echoed" "$tmp/out" "$tmp/err"
run "$key" key import --out "$tmp/nopass.json" --passphrase-fd 3 3</dev/null
check_eq "import empty passphrase (exit)" "$rc" 1
check_eq "import empty passphrase" "$(cat "$tmp/err")" "hatctl key: empty passphrase"

# ---- errors and usage
echo '{"version":1,' > "$tmp/trunc.json"
run "" key address --in "$tmp/trunc.json"
check_eq "address of truncated file (exit)" "$rc" 1
check_eq "address of truncated file" "$(cat "$tmp/err")" "hatctl key: keystore $tmp/trunc.json: not a JSON object (truncated or not a keystore)"
run "" key address
check_eq "address without --in" "$rc" 2
run "" key new --out "$tmp/x.json" --kdf fast
check_eq "bad --kdf (exit)" "$rc" 2
check_eq "bad --kdf" "$(cat "$tmp/err")" 'hatctl key: --kdf: expected moderate or interactive (got "fast")'
run "" key frobnicate
check_eq "unknown subcommand" "$rc" 2
run "" key address --in etc/test-key.json
check_eq "etc/test-key.json address" "$(cat "$tmp/out")" "$addr"

# ---- audit verify
prev=0000000000000000000000000000000000000000000000000000000000000000
: > "$tmp/audit.jsonl"
for i in 1 2 3; do
  text="{\"seq\":$i,\"ts\":170000000000$i,\"kind\":\"event\",\"nonce\":0,\"body\":{\"n\":$i},\"prev\":\"$prev\""
  h=$(printf '%s}' "$text" | b2sum -l 256 | cut -d' ' -f1)
  printf '%s,"hash":"%s"}\n' "$text" "$h" >> "$tmp/audit.jsonl"
  prev=$h
done
run "" audit verify "$tmp/audit.jsonl"
check_eq "audit verify exit" "$rc" 0
check_eq "audit verify" "$(cat "$tmp/out")" "audit $tmp/audit.jsonl: 3 lines, chain intact"
sed '2s/"n":2/"n":9/' "$tmp/audit.jsonl" > "$tmp/bad.jsonl"
run "" audit verify "$tmp/bad.jsonl"
check_eq "audit tampered exit" "$rc" 1
case "$(cat "$tmp/err")" in "audit $tmp/bad.jsonl: line 2: hash mismatch (stored "*) ok=1;; *) ok=0; cat "$tmp/err";; esac
check_eq "audit tampered message" "$ok" 1
sed '1d' "$tmp/audit.jsonl" > "$tmp/del.jsonl"
run "" audit verify "$tmp/del.jsonl"
check_eq "audit deleted line" "$(cat "$tmp/err")" "audit $tmp/del.jsonl: line 1: seq 2, expected 1"
run "" audit verify "$tmp/missing.jsonl"
check_eq "audit missing file (exit)" "$rc" 1
check_eq "audit missing file" "$(cat "$tmp/err")" "audit $tmp/missing.jsonl: open(\"$tmp/missing.jsonl\") failed: No such file or directory"
run "" audit check x
check_eq "audit usage" "$rc" 2

if [ $fails -ne 0 ]; then echo "$fails failure(s)"; exit 1; fi
echo "all ok"
