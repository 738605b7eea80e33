#!/usr/bin/env bash
# The whole test suite: what a developer runs before pushing, and what CI runs.
set -euo pipefail
cd "$(dirname "$0")"

cargo build --locked --bins
# The default members only: benches/peers (Cedar, Rego, CEL) is built on demand, never here.
cargo test --locked
# The policy library must check without errors or warnings.
./target/debug/dictum check policies/
./target/debug/dictum fmt --check policies/
./target/debug/dictum test --fail-under 100 policies/
