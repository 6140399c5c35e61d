#!/usr/bin/env bash
# Runs the kiosk on this desktop with an embedded central service on synthetic data.
# Slips are shown in the terminal (decoded from the ESC/POS bytes) and appended to
# target/demo-receipts.escpos.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
[[ -f "$HOME/.cargo/env" ]] && source "$HOME/.cargo/env"
exec cargo run --release --locked -p anjungan-kiosk --features demo -- --demo --printer target/demo-receipts.escpos "$@"
