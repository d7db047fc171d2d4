#!/usr/bin/env bash
# tests/hl_sign_cli.sh -- hl-sign's exact interface: V2 of the protocol note (mainnet and
# testnet), vault/expiresAfter, the address line, and exit code 2 with a message on bad input.
set -u
bin=${HAT_BIN_DIR:-build/asan/bin}/hl-sign
key=0x0123456789012345678901234567890123456789012345678901234567890123
v2='{"type":"order","orders":[{"a":1,"b":true,"p":"100","s":"100","r":false,"t":{"limit":{"tif":"Gtc"}}}],"grouping":"na"}'
fails=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

check_eq() { # name got want
  if [ "$2" == "$3" ]; then echo "ok   $1"; else echo "FAIL $1"; echo "  got:  $2"; echo "  want: $3"; fails=$((fails+1)); fi
}
# expect_bad name stdin-text expected-stderr-substring args...
expect_bad() {
  local name=$1 input=$2 want=$3; shift 3
  printf '%s' "$input" | "$bin" "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  if [ $rc -ne 2 ]; then echo "FAIL $name: exit $rc, want 2"; fails=$((fails+1)); return; fi
  if [ -s "$tmp/out" ]; then echo "FAIL $name: printed to stdout"; fails=$((fails+1)); return; fi
  if ! grep -qF -- "$want" "$tmp/err"; then echo "FAIL $name: stderr lacks '$want':"; cat "$tmp/err"; fails=$((fails+1)); return; fi
  if grep -qF -- "${key#0x}" "$tmp/err"; then echo "FAIL $name: stderr shows the key"; fails=$((fails+1)); return; fi
  echo "ok   $name"
}

got=$(printf '%s' "$v2" | "$bin" l1 --key $key --nonce 0); rc=$?
check_eq "l1 V2 mainnet exit" "$rc" 0
check_eq "l1 V2 mainnet" "$got" '{"hash":"0x884f2c32bb6dbdd65f6033e32fb28c0cb6f5b345db0f6471fd3366d85c9252c1","r":"0xd65369825a9df5d80099e513cce430311d7d26ddf477f5b3a33d2806b100d78e","s":"0x2b54116ff64054968aa237c20ca9ff68000f977c93289157748a3162b6ea940e","v":28}'
got=$(printf '%s' "$v2" | "$bin" l1 --testnet --nonce 0 --key $key)
check_eq "l1 V2 testnet" "$got" '{"hash":"0x884f2c32bb6dbdd65f6033e32fb28c0cb6f5b345db0f6471fd3366d85c9252c1","r":"0x82b2ba28e76b3d761093aaded1b1cdad4960b3af30212b343fb2e6cdfa4e3d54","s":"0x6b53878fc99d26047f4d7e8c90eb98955a109f44209163f52d8dc4278cbbd9f5","v":27}'
got=$(echo '{"type":"dummy","num":100000000000}' | "$bin" l1 --key $key --nonce 0 --vault 0x1719884EB866cb12b2287399b15f7db5e7d775ea)
check_eq "l1 V1 vault (padded r)" "$got" '{"hash":"0xde9e09a7a3da45cc694096d4bfdcd89bc1b892d05497c5ecc1f56c335945184c","r":"0x003c548db75e479f8012acf3000ca3a6b05606bc2ec0c29c50c515066a326239","s":"0x4d402be7396ce74fbba3795769cda45aec00dc3125a984f2a9f23177b190da2c","v":28}'
we='{"type":"order","orders":[{"a":0,"b":true,"p":"65000","s":"0.001","r":false,"t":{"limit":{"tif":"Alo"}},"c":"0x0000000000000000000000000000002a"}],"grouping":"na"}'
got=$(printf '%s' "$we" | "$bin" l1 --key $key --nonce 1717000000000 --expires-after 1717000060000)
check_eq "l1 worked example expiresAfter" "$got" '{"hash":"0x04fb48e18eaeab55bfffe94fbb180d0642a2a161a04b95365f12b785ecc73958","r":"0xd43038a318b49c130da9325da1e05093af0a3c068ddd8ae460e581dd406eabf8","s":"0x54dcc7bdf6f11b7a2b78184cf2c18fbfc239a785eadf8d78a96d061589da7568","v":28}'
got=$("$bin" address --key $key); rc=$?
check_eq "address exit" "$rc" 0
check_eq "address" "$got" 0x14791697260e4c9a71f18484c9f997b308e59325

expect_bad "bad key (short)" "$v2" "--key: key: expected 0x and 64 hex digits" l1 --key 0x0123 --nonce 0
expect_bad "bad key (no 0x)" "" "--key: key: must start with 0x" address --key ${key#0x}
expect_bad "bad key (not hex)" "" "not a hex digit" address --key 0x${key:3}z
expect_bad "bad key (zero)" "" "not a valid secp256k1 private key" address --key 0x0000000000000000000000000000000000000000000000000000000000000000
expect_bad "missing key" "" "--key is required" address
expect_bad "bad nonce (text)" "$v2" "--nonce: not an unsigned 64-bit decimal integer" l1 --key $key --nonce abc
expect_bad "bad nonce (negative)" "$v2" "--nonce: not an unsigned 64-bit decimal integer" l1 --key $key --nonce -1
expect_bad "bad nonce (overflow)" "$v2" "--nonce: not an unsigned 64-bit decimal integer" l1 --key $key --nonce 18446744073709551616
expect_bad "missing nonce" "$v2" "--nonce is required" l1 --key $key
expect_bad "bad expires-after" "$v2" "--expires-after: not an unsigned" l1 --key $key --nonce 1 --expires-after 1.5
expect_bad "bad vault" "$v2" "--vault: expected 0x and 40 hex digits" l1 --key $key --nonce 1 --vault 0x1234
expect_bad "bad JSON (truncated)" '{"type":"order"' "action on stdin: JSON at byte" l1 --key $key --nonce 0
expect_bad "bad JSON (empty)" '' "unexpected end of input" l1 --key $key --nonce 0
expect_bad "bad JSON (float)" '{"type":"x","n":1.5}' "floats are not allowed" l1 --key $key --nonce 0
expect_bad "unknown command" "" "unknown command" sign --key $key
expect_bad "unknown option" "" "unknown option --bogus" l1 --key $key --nonce 0 --bogus
expect_bad "option without value" "" "--nonce needs a value" l1 --key $key --nonce
got=$("$bin" --help); rc=$?
check_eq "help exit" "$rc" 0
case "$got" in *"hl-sign l1 --key"*) echo "ok   help text";; *) echo "FAIL help text: $got"; fails=$((fails+1));; esac

if [ $fails -ne 0 ]; then echo "$fails failed"; exit 1; fi
echo "all passed"
