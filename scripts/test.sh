#!/usr/bin/env bash
# The one test command: formatting, lints, and every test of every crate.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
[[ -f "$HOME/.cargo/env" ]] && source "$HOME/.cargo/env"

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check
echo "== cargo clippy" >&2
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test" >&2
cargo test --workspace --locked

# The backend's suite again with every temporary store on PostgreSQL (a throwaway server
# started by scripts/postgres.sh), so both databases pass the same tests.
echo "== cargo test -p anjungan-backend on PostgreSQL" >&2
ANJUNGAN_TEST_DATABASE=$(scripts/postgres.sh) cargo test -p anjungan-backend --locked
