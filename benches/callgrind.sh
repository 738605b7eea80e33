#!/usr/bin/env bash
# Instructions per decision, counted by callgrind (exact and repeatable on a noisy machine
# without hardware counters). Prints the table of docs/PERFORMANCE.md "Instructions per
# decision". Usage: benches/callgrind.sh [TENANTS...]   (default: 1 1000 10000)
#
# eval:        instructions inside `Loaded::decide`, over 20,000 decisions.
# build+eval:  inside `decide` and `Handles::fill` in mode build+eval, less the setup's
#              1,024 fills (a fill costs what mode `build` counts, divided by its fills).
# in place:    inside `Loaded::decide_in_place` (mode in-place: no request built; the
#              accessors run inside it), instantiate / access / egress.
# baseline:    the whole run in mode `baseline` minus the whole run in mode `setup`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --example hotloop >&2
bin=target/release/examples/hotloop
iters=20000
setup_fills=1024
tenants=("${@:-1 1000 10000}")
# shellcheck disable=SC2206
tenants=(${tenants[*]})

count() { # count TOGGLES... -- ARGS...
  local toggles=()
  while [[ $1 != -- ]]; do toggles+=("--toggle-collect=$1"); shift; done
  shift
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "${toggles[@]}" "$bin" "$@" 2>&1 |
    awk '/refs:/ {gsub(",", "", $4); print $4}'
}

echo "| tenants | instantiate | access | egress | encrypt | log | access build+eval | in place (instantiate / access / egress) | access baseline |"
echo "|--------:|------------:|-------:|-------:|--------:|----:|------------------:|-----------------------------------------:|----------------:|"
for n in "${tenants[@]}"; do
  row="| $n"
  for h in instantiate access egress encrypt log; do
    c=$(count 'dictum::engine::Loaded::decide' -- "$h" "$n" eval "$iters")
    row+=" | $((c / iters))"
  done
  fills=$(count 'hotloop::handles::Handles::fill' -- access "$n" build "$iters")
  per_fill=$((fills / (iters + setup_fills)))
  both=$(count 'dictum::engine::Loaded::decide' 'hotloop::handles::Handles::fill' -- access "$n" build+eval "$iters")
  row+=" | $(((both - setup_fills * per_fill) / iters))"
  places=()
  for h in instantiate access egress; do
    c=$(count '*decide_in_place*' -- "$h" "$n" in-place "$iters")
    places+=("$((c / iters))")
  done
  row+=" | ${places[0]} / ${places[1]} / ${places[2]}"
  base=$(count -- access "$n" baseline "$iters")
  setup=$(count -- access "$n" setup "$iters")
  row+=" | $(((base - setup) / iters)) |"
  echo "$row"
  echo "  ($n tenants: one fill = $per_fill instructions)" >&2
done
