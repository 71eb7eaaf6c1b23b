# Shared by .ci/serve and .ci/test: finds or installs the tools Waymark is built and tested
# with. Every step checks first, so a second run is quick; a step that cannot succeed stops
# with a message saying what to do. Sourced, not run.

set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

# One build cache outside the work tree, shared by sessions, CI and every clone.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/waymark-target}"
# Node-based tools (wasm-opt) live beside it, out of the repository.
tools_dir="${WAYMARK_TOOLS_DIR:-$HOME/.cache/waymark-tools}"
export PATH="$HOME/.cargo/bin:$tools_dir/node_modules/.bin:$PATH"

CARGO_LEPTOS_VERSION=0.3.10
BINARYEN_VERSION=132
# Litestream v0.3.13, as the npm package ships it (README: off-site copies).
LITESTREAM_NPM_VERSION=1.0.1
AIOSMTPD_VERSION=1.4.6

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
fail() {
  printf '\033[31merror:\033[0m %s\n' "$*" >&2
  exit 1
}

require() {
  command -v "$1" >/dev/null 2>&1 || fail "$1 is missing. $2"
}

ensure_rust() {
  require cargo "Install Rust with rustup (https://rustup.rs), then run this again."
  require rustup "Waymark needs rustup to add the wasm32 target; install Rust with rustup."
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "Adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_cargo_leptos() {
  if cargo leptos --version 2>/dev/null | grep -q " $CARGO_LEPTOS_VERSION\$"; then
    return
  fi
  say "Installing cargo-leptos $CARGO_LEPTOS_VERSION (about 15 minutes on 2 cores, once)"
  # --locked: newer dependency versions need a newer rustc than stable has.
  # no_downloads: take wasm-bindgen and wasm-opt from PATH rather than GitHub.
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
}

ensure_wasm_bindgen() {
  local wanted
  wanted=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
  [ -n "$wanted" ] || fail "cannot find the wasm-bindgen version in Cargo.lock"
  if wasm-bindgen --version 2>/dev/null | grep -q " $wanted\$"; then
    return
  fi
  say "Installing wasm-bindgen-cli $wanted (it must equal the library version in Cargo.lock)"
  # Not --locked: that lockfile names a crate version the registry no longer has.
  cargo install wasm-bindgen-cli --version "$wanted" --force
}

ensure_node() {
  require node "Install Node.js 18 or newer (Debian: apt-get install nodejs npm)."
  require npm "Install npm (Debian: apt-get install npm)."
}

ensure_wasm_opt() {
  if wasm-opt --version 2>/dev/null | grep -q "version $BINARYEN_VERSION"; then
    return
  fi
  ensure_node
  say "Installing wasm-opt (npm package binaryen@$BINARYEN_VERSION) into $tools_dir"
  mkdir -p "$tools_dir"
  [ -f "$tools_dir/package.json" ] || echo '{ "private": true }' >"$tools_dir/package.json"
  npm install --prefix "$tools_dir" --no-audit --no-fund "binaryen@$BINARYEN_VERSION" >/dev/null
  wasm-opt --version >/dev/null 2>&1 || fail "wasm-opt did not install; see npm's output above."
}

ensure_build_tools() {
  ensure_rust
  ensure_cargo_leptos
  ensure_wasm_bindgen
  ensure_wasm_opt
}

chromium_path() {
  if [ -n "${CHROMIUM:-}" ]; then
    echo "$CHROMIUM"
  else
    command -v chromium || command -v chromium-browser || true
  fi
}

# Installs Debian package $1 (for $2, a sentence's subject), with sudo when not root.
apt_install() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && sudo="sudo -n" ||
      fail "$2 is missing and installing it needs root: run 'apt-get install $1' as root${3:+, or $3}."
  fi
  command -v apt-get >/dev/null 2>&1 ||
    fail "$2 is missing and this system has no apt-get; install it${3:+ and $3}."
  say "Installing $2 from Debian's packages"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$1" >/dev/null
}

ensure_chromium() {
  if [ -n "$(chromium_path)" ]; then
    export CHROMIUM
    CHROMIUM=$(chromium_path)
    return
  fi
  apt_install chromium Chromium "set CHROMIUM to a Chromium binary"
  CHROMIUM=$(chromium_path)
  [ -n "$CHROMIUM" ] || fail "Chromium did not install."
  export CHROMIUM
}

# The end-to-end fault test holds the database's write lock with the sqlite3 shell.
ensure_sqlite3() {
  command -v sqlite3 >/dev/null 2>&1 && return
  apt_install sqlite3 "The sqlite3 shell"
  command -v sqlite3 >/dev/null 2>&1 || fail "sqlite3 did not install."
}

# The off-site copies test replicates with Litestream; $WAYMARK_LITESTREAM is its binary.
ensure_litestream() {
  local bin="$tools_dir/node_modules/@flydotio/litestream-linux-x64/litestream"
  if [ -n "${WAYMARK_LITESTREAM:-}" ]; then
    "$WAYMARK_LITESTREAM" version >/dev/null 2>&1 || fail "WAYMARK_LITESTREAM=$WAYMARK_LITESTREAM does not run."
    return
  fi
  if ! "$bin" version 2>/dev/null | grep -q "^v0\.3\.13\$"; then
    [ "$(uname -sm)" = "Linux x86_64" ] ||
      fail "the npm package of Litestream is for Linux x86-64 only; set WAYMARK_LITESTREAM to a litestream v0.3.13 binary."
    ensure_node
    say "Installing Litestream (npm package @flydotio/litestream-linux-x64@$LITESTREAM_NPM_VERSION) into $tools_dir"
    mkdir -p "$tools_dir"
    [ -f "$tools_dir/package.json" ] || echo '{ "private": true }' >"$tools_dir/package.json"
    npm install --prefix "$tools_dir" --no-audit --no-fund \
      "@flydotio/litestream-linux-x64@$LITESTREAM_NPM_VERSION" >/dev/null
    "$bin" version >/dev/null 2>&1 || fail "Litestream did not install; see npm's output above."
  fi
  export WAYMARK_LITESTREAM="$bin"
}

ensure_end2end_packages() {
  ensure_node
  # Playwright must never download its own browsers; the tests use Debian's Chromium.
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  if [ ! -d end2end/node_modules/@playwright/test ] ||
    [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
    say "Installing the end-to-end test packages (npm ci)"
    (cd end2end && npm ci --no-audit --no-fund >/dev/null)
  fi
}

# The mail tests send to a real SMTP server started by the test: aiosmtpd (PyPI) run by
# .ci/smtp-sink.py, from a Python virtual environment of its own in the tools directory. The
# tests find it through WAYMARK_SMTP_PYTHON.
ensure_aiosmtpd() {
  local venv="$tools_dir/smtp-venv"
  export WAYMARK_SMTP_PYTHON="$venv/bin/python"
  if "$WAYMARK_SMTP_PYTHON" -c "import sys, aiosmtpd; sys.exit(aiosmtpd.__version__ != '$AIOSMTPD_VERSION')" 2>/dev/null; then
    return
  fi
  require python3 "Install Python 3 (Debian: apt-get install python3 python3-venv)."
  say "Installing aiosmtpd $AIOSMTPD_VERSION (PyPI) into $venv"
  python3 -m venv "$venv" ||
    fail "cannot make a Python virtual environment in $venv (Debian: apt-get install python3-venv)."
  "$venv/bin/pip" install --quiet --disable-pip-version-check "aiosmtpd==$AIOSMTPD_VERSION" ||
    fail "aiosmtpd did not install; see pip's output above."
  "$WAYMARK_SMTP_PYTHON" -c "import aiosmtpd" 2>/dev/null || fail "aiosmtpd did not install."
}
