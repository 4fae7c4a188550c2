#!/usr/bin/env sh
# Node.js and npm for the Agents Playground and the card renderer, from the Debian packages.
# Does nothing when npm is already on the PATH.
set -eu
if command -v npm >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "npm is missing: install Node.js 20 or newer with npm, then run make again" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y nodejs npm
