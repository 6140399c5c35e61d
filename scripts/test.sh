#!/usr/bin/env bash
# The one test command: formatting, lints, and every test of every crate.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
[[ -f "$HOME/.cargo/env" ]] && source "$HOME/.cargo/env"

# A test run builds from scratch: incremental caches would only add gigabytes of target/
# (one per test binary) that nothing reads again.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

# The kiosk's opt-in features, so the demo, `kiosk screenshots` and `kiosk bench` are
# built, linted and tested like everything else.
features=anjungan-kiosk/demo,anjungan-kiosk/tools

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check
echo "== cargo clippy" >&2
cargo clippy --workspace --all-targets --locked --features "$features" -- -D warnings
# The firmware as the kiosk image builds it: KMS output and the Pi's GPIO, no central
# service, no testing platform.
echo "== cargo check, device build" >&2
cargo check -p anjungan-kiosk --no-default-features --features device --locked
# Every module documented (the Pi's GPIO too), with broken links as errors.
echo "== cargo doc" >&2
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked \
  --features "$features,anjungan-hardware/rpi"
echo "== cargo test" >&2
cargo test --workspace --locked --features "$features"

# The backend's suite again with every temporary store on PostgreSQL (a throwaway server
# started by scripts/postgres.sh), so both databases pass the same tests. The console's
# browser tests ran above; their sessions and forms are covered on PostgreSQL by
# console_http, so the browser is not started a second time.
echo "== cargo test -p anjungan-backend on PostgreSQL" >&2
ANJUNGAN_TEST_DATABASE=$(scripts/postgres.sh) ANJUNGAN_SKIP_BROWSER=1 \
  cargo test -p anjungan-backend --locked

# What the run left on disk: CI's disk is not large, and a full one fails the link with
# a bus error rather than a clear message.
echo "== target/ after the run: $(du -sh target 2>/dev/null | cut -f1)" >&2
