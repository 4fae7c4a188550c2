#!/usr/bin/env sh
# Headless Chromium for the browser tests (Playground screenshots, card rendering), which look for
# it at /usr/bin/chromium. When it is missing and apt-get is there (as root, or with sudo that asks
# no password), installs Debian's chromium package. Prints nothing when it is ready; otherwise one
# line saying what to install, which the Makefile stops with. apt-get's output goes to stderr.
# Usage: sh scripts/ensure_chromium.sh [PATH] ["WHAT NEEDS IT"]
chromium="${1:-/usr/bin/chromium}"
need="${2:-make test} needs Chromium at $chromium"
fix="install it (Debian: apt-get install chromium), then run make again"

[ -x "$chromium" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "$need: $fix"
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
else
    echo "$need, and installing it with apt-get needs root: $fix (or run make as root)"
    exit 0
fi
echo "== installing Chromium with apt-get" >&2
if ! { $sudo apt-get update && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y chromium; } >&2; then
    echo "$need, and apt-get could not install it: $fix"
elif [ ! -x "$chromium" ]; then
    echo "$need, and apt-get's chromium did not put it there: $fix"
fi
