#!/usr/bin/env bash
# tests/report_cli.sh -- the data tools and the report end to end on the shipped samples:
# hat-data ls / export (journal and audit) / compact, exit codes and messages on bad input,
# hat-report's HTML is self-contained, and (when Debian's chromium is installed) the page
# renders in headless Chromium to a non-blank screenshot.
set -u
bin=${HAT_BIN_DIR:-build/asan/bin}
data="$bin/hat-data" report="$bin/hat-report"
journal=tests/data/sample-hlsim-btc-eth.journal audit=tests/data/sample.audit
fails=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }
check() { # name condition...
  local name=$1; shift
  if "$@"; then ok "$name"; else fail "$name"; fi
}
has() { grep -qF -- "$2" "$1"; }
not() { ! "$@"; }
both() { # rc want file text: exit code and message together
  [ "$1" -eq "$2" ] && grep -qF -- "$4" "$3"
}

# ---- ls
"$data" ls tests/data >"$tmp/ls" 2>&1; rc=$?
check "ls exit 0" [ $rc -eq 0 ]
check "ls lists the sample with its records and range" \
  grep -qE '^sample-hlsim-btc-eth\.journal +2026-11-24T18:16:47Z +2026-11-24T18:18:08Z +1439 +396\.2 KiB warm ok$' "$tmp/ls"

# ---- journal export
out="$tmp/res"; mkdir -p "$out"
"$data" export "$journal" --csv --out "$out" >"$tmp/exp" 2>"$tmp/exp.err"; rc=$?
check "export journal exit 0" [ $rc -eq 0 ]
check "export journal counts" has "$tmp/exp" "records=1439 frames=1436 books=326 book_rows=1630 trades=455 mids=978 parse_errors=0"
check "export progress lines on a non-terminal" has "$tmp/exp.err" "100% (396.2 KiB of 396.2 KiB)"
check "books.csv header" [ "$(head -1 "$out/books.csv")" = "coin,exch_time,recv_time,level,bid_px,bid_sz,ask_px,ask_sz" ]
check "trades.csv header" [ "$(head -1 "$out/trades.csv")" = "coin,time,side,px,sz,tid,recv_time" ]
check "books.csv rows" [ "$(wc -l <"$out/books.csv")" -eq 1631 ]
check "trades.csv rows" [ "$(wc -l <"$out/trades.csv")" -eq 456 ]

# ---- a truncated copy: good records exported, offset named, exit 1
head -c 200000 "$journal" >"$tmp/cut.journal"
mkdir -p "$tmp/cut"
"$data" export "$tmp/cut.journal" --csv --out "$tmp/cut" >"$tmp/cut.out" 2>"$tmp/cut.err"; rc=$?
check "truncated journal exit 1" [ $rc -eq 1 ]
check "truncated journal names the offset" grep -qE 'bad record at byte offset [0-9]+ .*truncated record' "$tmp/cut.err"
n=$(wc -l <"$tmp/cut/books.csv")
check "truncated journal still exports its good records" [ "$n" -gt 100 -a "$n" -lt 1631 ]

# ---- compressed copy reads the same
mkdir -p "$tmp/cold" "$tmp/cold/out"
cp "$journal" "$tmp/cold/feed-00000001-20261124T181647.hjl"
cp "$journal" "$tmp/cold/feed-00000002-20261124T181900.hjl"
"$data" compact "$tmp/cold" >"$tmp/compact" 2>&1; rc=$?
check "compact exit 0" [ $rc -eq 0 ]
check "compact compresses all but the newest" has "$tmp/compact" "compressed=1"
check "compact leaves the newest warm" [ -f "$tmp/cold/feed-00000002-20261124T181900.hjl" ]
check "compact made a .zst" [ -f "$tmp/cold/feed-00000001-20261124T181647.hjl.zst" ]
"$data" ls "$tmp/cold" >"$tmp/ls2"
check "ls shows the cold file" grep -qE '^feed-00000001-20261124T181647\.hjl\.zst .* 1439 .* cold ok$' "$tmp/ls2"
"$data" export "$tmp/cold/feed-00000001-20261124T181647.hjl.zst" --csv --out "$tmp/cold/out" >/dev/null 2>&1
check "the .zst exports the same books" cmp -s "$out/books.csv" "$tmp/cold/out/books.csv"
"$data" compact "$tmp/cold" --max-bytes 1 >"$tmp/compact2" 2>&1
check "retention by bytes deletes the cold file" [ ! -e "$tmp/cold/feed-00000001-20261124T181647.hjl.zst" ]

# ---- usage errors
"$data" export "$journal" --out "$tmp" >/dev/null 2>"$tmp/u1"; rc=$?
check "export without --csv is a usage error" [ $rc -eq 2 ]
check "export without --csv says so" has "$tmp/u1" "--csv is the only format"
"$data" compact "$tmp" --max-bytes 12Q >/dev/null 2>"$tmp/u2"; rc=$?
check "bad --max-bytes is a usage error" both $rc 2 "$tmp/u2" '--max-bytes: expected N, NK, NM or NG (got "12Q")'
"$data" frobnicate >/dev/null 2>"$tmp/u3"; rc=$?
check "unknown subcommand" both $rc 2 "$tmp/u3" 'unknown subcommand "frobnicate"'

# ---- audit export + report
"$data" export "$audit" --audit --csv --mids "$out/mids.csv" --out "$out" >"$tmp/aud" 2>/dev/null; rc=$?
check "export audit exit 0" [ $rc -eq 0 ]
check "export audit counts" has "$tmp/aud" "lines=365 orders=109 cancels=45 fills=56 duplicate_fills=0 rejects=8 unanswered=0 pnl_rows=85"
echo '{"title":"sample session","journal":"tests/data/sample-hlsim-btc-eth.journal","sample_ms":1000}' >"$out/meta.json"
"$report" "$out" >"$tmp/rep" 2>&1; rc=$?
check "hat-report exit 0" [ $rc -eq 0 ]
check "hat-report summary" has "$tmp/rep" "fills=56 volume=7790.50 pnl=-0.67 fees=-0.16 max_drawdown=4.66"
html="$out/report.html"
check "report is HTML" has "$html" "<!DOCTYPE html>"
check "report has its charts inline" [ "$(grep -c '<svg' "$html")" -eq 5 ]
check "report states the sampling interval" has "$html" "equity changes over 1000 ms intervals"
check "report has the markout table" has "$html" "<td>10s</td>"
check "report has the reject reasons" has "$html" "<td class=\"l\">Post only order would have immediately matched</td><td>3</td>"
check "no scripts" not grep -qi '<script' "$html"
check "no external resources" not grep -qiE '(src|href)=|url\(|@import' "$html"
check "no URL but the SVG namespace" [ "$(grep -oE 'https?://[^"]*' "$html" | sort -u)" = "http://www.w3.org/2000/svg" ]
"$report" "$tmp/nonexistent" >/dev/null 2>"$tmp/rep2"; rc=$?
check "hat-report on a missing dir exits 1 naming fills.csv" both $rc 1 "$tmp/rep2" "fills.csv"

# ---- render in headless Chromium (Debian's chromium: a test dependency, scripts/deps.sh's test set)
chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chrome" ]; then
  echo "FAIL render: chromium is not installed: the report render test needs it"
  echo "     (install the test dependencies: scripts/deps.sh, or apt-get install --no-install-recommends chromium)"
  fails=$((fails + 1))
else
  shot() { # url png
    timeout 60 "$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
      --disable-background-networking --disable-component-update --disable-sync \
      --user-data-dir="$tmp/chrome" --window-size=1100,2600 --screenshot="$2" "$1" >/dev/null 2>&1
  }
  printf '<!DOCTYPE html><html><body></body></html>' >"$tmp/blank.html"
  shot "file://$(realpath "$html")" "$tmp/report.png"
  shot "file://$tmp/blank.html" "$tmp/blank.png"
  check "screenshot written" [ -s "$tmp/report.png" ]
  rs=$(stat -c %s "$tmp/report.png" 2>/dev/null || echo 0); bs=$(stat -c %s "$tmp/blank.png" 2>/dev/null || echo 1)
  echo "     report.png $rs bytes, blank page $bs bytes"
  check "screenshot is not blank (far larger than a blank page's)" [ "$rs" -gt $((bs * 5)) -a "$rs" -gt 50000 ]
  if command -v python3 >/dev/null; then
    python3 - "$tmp/report.png" <<'PY' && ok "screenshot has many non-white pixels" || fail "screenshot has many non-white pixels"
import struct, sys, zlib
d = open(sys.argv[1], 'rb').read()
assert d[:8] == b'\x89PNG\r\n\x1a\n'
pos, idat, w = 8, b'', 0
while pos < len(d):
    n, t = struct.unpack('>I4s', d[pos:pos + 8])
    if t == b'IHDR':
        w, h, depth, ctype = struct.unpack('>IIBB', d[pos + 8:pos + 18])
    if t == b'IDAT':
        idat += d[pos + 8:pos + 8 + n]
    pos += 12 + n
raw = zlib.decompress(idat)
# Count rows holding something other than the background (filtered bytes are not pixels, but
# a uniform row compresses to filter + zeros under filter 2/1; any nonzero byte means content).
rows = h
stride = len(raw) // rows
busy = sum(1 for r in range(rows) if any(raw[r * stride + 1:(r + 1) * stride]))
print("     rows with content: %d of %d" % (busy, rows))
sys.exit(0 if busy > rows // 4 else 1)
PY
  fi
fi

[ $fails -eq 0 ] && echo "all passed" || echo "$fails failed"
[ $fails -eq 0 ]
