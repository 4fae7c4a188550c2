#!/usr/bin/env sh
# Is there a Python 3.11 or newer that can make a virtual environment? Prints nothing when there
# is; otherwise one line saying what to install (the Makefile stops with it).
# Usage: sh scripts/ensure_python.sh PYTHON
python="${1:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
    echo "make needs Python 3.11 or newer, and '$python' is not on the PATH: install Python (https://www.python.org/downloads/) or run make PYTHON=/path/to/python3.11"
elif ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
    echo "make needs Python 3.11 or newer, and $python is $("$python" -c 'import platform; print(platform.python_version())' 2>/dev/null): install a newer one and run make PYTHON=python3.11 (or newer)"
elif ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    echo "make needs Python's venv module, which $python lacks: install it (Debian and Ubuntu: apt-get install python3-venv), then run make again"
fi
