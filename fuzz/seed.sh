#!/usr/bin/env bash
# Build the fuzz corpora (fuzz/corpus/<target>/, ignored by git) from the repository's
# own inputs: every .policy file of policies/, tests/diagnostics/ and tests/disasm/, the
# fixture request, real bundles compiled from policies/, and the hand-made seeds kept in
# fuzz/seeds/<target>/. Idempotent; run it from anywhere.
#
# Each target reads a mode byte first (see fuzz_targets/*.rs), so text seeds are written
# with the mode prefix they are meant for.
#
# Needs the dictum binary for the bundle seeds: DICTUM=path/to/dictum, or
# target/release/dictum, or target/debug/dictum (built with `cargo build`). The binary
# must be built from the same sources as the fuzzers: a bundle of another format version
# (format 2 since networks are stored in binary), or one whose encoding changed without a
# bump, is only a rejected seed. Re-run this script after rebuilding to refresh them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
corpus="$here/corpus"
mkdir -p "$corpus"/{parse,check,differential,bundle,fmt,request}

dictum="${DICTUM:-}"
if [[ -z "$dictum" ]]; then
  for c in "$root/target/release/dictum" "$root/target/debug/dictum"; do
    [[ -x "$c" ]] && { dictum="$c"; break; }
  done
fi

# prefix BYTE SRC DEST: write the byte (octal escape) then the file.
prefix() { { printf "$1"; cat "$2"; } > "$3"; }

n=0
while IFS= read -r f; do
  name="$(echo "${f#"$root"/}" | tr '/' '_')"
  prefix '\000' "$f" "$corpus/parse/$name"      # raw text mode
  prefix '\000' "$f" "$corpus/fmt/$name"        # raw text mode
  n=$((n + 1))
done < <(find "$root/policies" "$root/tests/diagnostics" "$root/tests/disasm" -name '*.policy' | sort)
echo "text seeds: $n policy files into parse/ and fmt/"

prefix '\000' "$root/tests/fixtures/request.json" "$corpus/request/fixture.json"

if [[ -n "$dictum" ]]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  cp "$dictum" "$tmp/dictum"
  # The whole library, each tenant with the platform, and each golden disasm policy.
  "$tmp/dictum" compile "$root/policies" -o "$tmp/library.bundle" > /dev/null 2>&1
  "$tmp/dictum" compile "$root/policies/platform" -o "$tmp/platform.bundle" > /dev/null 2>&1
  for d in "$root"/policies/domains/*/; do
    "$tmp/dictum" compile "$root/policies/platform" "$d" -o "$tmp/$(basename "$d").bundle" > /dev/null 2>&1 || true
  done
  for p in "$root"/tests/disasm/*.policy; do
    "$tmp/dictum" compile "$p" -o "$tmp/disasm_$(basename "$p" .policy).bundle" > /dev/null 2>&1 || true
  done
  for b in "$tmp"/*.bundle; do
    base="$(basename "$b" .bundle)"
    prefix '\000' "$b" "$corpus/bundle/file_$base"                              # whole file
    { printf '\001'; tail -c +29 "$b"; } > "$corpus/bundle/payload_$base"        # payload only
  done
  echo "bundle seeds: $(ls "$tmp"/*.bundle | wc -l) bundles into bundle/"
else
  echo "no dictum binary found: no bundle seeds (build one with cargo build)" >&2
fi

for t in parse check differential bundle fmt request; do
  if [[ -d "$here/seeds/$t" ]]; then
    cp "$here/seeds/$t"/* "$corpus/$t/" 2>/dev/null || true
  fi
done
for t in parse check differential bundle fmt request; do
  echo "corpus/$t: $(ls "$corpus/$t" | wc -l) files"
done
