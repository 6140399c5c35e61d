#!/usr/bin/env bash
# Installs what building and testing Anjungan needs on Debian 12 (bookworm) x86_64.
# Idempotent: a second run installs nothing. Needs root or sudo for apt.
set -euo pipefail

packages=(
  build-essential pkg-config   # C parts of -sys crates (SQLite is bundled and compiled)
  libfontconfig-dev            # Slint finds fonts through fontconfig
  libxkbcommon-dev libxkbcommon-x11-0 libx11-xcb1 libxcursor1 libxrandr2 libxi6  # desktop window (winit)
  fonts-dejavu-core            # fallback fonts for the UI
  libudev-dev libinput-dev     # the device build (KMS output, libinput touch), checked by test.sh
  poppler-utils                # pdftotext, pdfinfo, pdftoppm: the letter PDF tests read back what was drawn
  chromium chromium-driver     # the web console's browser tests (headless, through chromedriver)
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  # Debian's own Rust is too old for Slint; rustup installs the current stable toolchain.
  echo "setup: installing the Rust toolchain with rustup" >&2
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c rustfmt,clippy
  # shellcheck disable=SC1091
  source "$HOME/.cargo/env"
fi
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt 2>/dev/null || true
