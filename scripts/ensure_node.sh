#!/usr/bin/env sh
# Node.js 20 or newer with npm, for the Agents Playground and Azurite. When they are missing and
# apt-get is there (as root, or with sudo that asks no password), installs Debian's nodejs and
# npm. Prints nothing when Node is ready; otherwise one line saying what to install, which the
# Makefile stops with. apt-get's own output goes to stderr, so the Makefile shows it as it runs.
# Usage: sh scripts/ensure_node.sh "WHAT NEEDS IT"
need="${1:-make} needs Node.js 20 or newer with npm"
fix="install them (https://nodejs.org/ or your package manager), then run make again"

ready() {
    command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1 &&
        [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -ge 20 ]
}

ready && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "$need: $fix"
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
else
    echo "$need, and installing them with apt-get needs root: $fix (or run make as root)"
    exit 0
fi
echo "== installing Node.js and npm with apt-get" >&2
if ! { $sudo apt-get update && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y nodejs npm; } >&2; then
    echo "$need, and apt-get could not install them: $fix"
elif ! ready; then
    # Debian 12 and Ubuntu 24.04 ship Node.js 18.
    echo "$need; apt-get has only Node.js $(node -v 2>/dev/null || echo '(none)'): $fix"
fi
