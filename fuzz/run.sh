#!/usr/bin/env bash
# Run one fuzz target the way docs/RELIABILITY.md records: one process, low priority,
# a time limit, the shared corpus fuzz/corpus/TARGET, and the final libFuzzer statistics.
#
#   fuzz/run.sh TARGET SECONDS [extra libFuzzer flags...]
#
# cargo-fuzz needs nightly flags: RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them.
# Builds with AddressSanitizer and debug assertions (overflow checks) on. Run
# fuzz/seed.sh once first to fill the corpora. The libFuzzer log is kept in
# fuzz/logs/TARGET-DATE.log.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target="$1"
secs="$2"
shift 2
case "$target" in
  bundle) len=(-max_len=20000) ;;
  check | differential) len=(-max_len=4096 -len_control=0) ;;
  *) len=(-max_len=8192) ;;
esac
mkdir -p "$here/corpus/$target" "$here/logs"
log="$here/logs/$target-$(date -u +%Y%m%dT%H%M%S).log"
cd "$here"
# -jobs=1 -workers=1: libFuzzer runs one child process and writes its output to
# fuzz-0.log in the current directory; it is appended to the log afterwards.
set +e
RUSTC_BOOTSTRAP=1 nice -n 10 cargo fuzz run -a "$target" "corpus/$target" -- \
  -max_total_time="$secs" -jobs=1 -workers=1 -timeout=10 -print_final_stats=1 "${len[@]}" "$@" > "$log" 2>&1
rc=$?
set -e
cat fuzz-0.log >> "$log" 2>/dev/null || true
echo "exit code $rc; log $log"
grep -E '^#[0-9]+' "$log" | tail -1 || true
grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$log" || true
echo "corpus files: $(ls "corpus/$target" | wc -l)"
ls "artifacts/$target" 2>/dev/null | sed 's/^/artifact: /' || true
exit $rc
