"""Run checkov with nothing leaving the machine:  .venv-checkov/bin/python tests/checkov_offline.py ARGS

ARGS are checkov's own (e.g. ``-d deploy -o json``). checkov lives in its own virtual environment
(``make checkov``): it pins packaging, aiohttp and importlib-metadata below what the app uses, and the
dev environment must test the versions production runs.

Four things happen around checkov's run:

- Its calls to its vendor's service are switched off: ``--skip-download`` (guidelines, custom
  policies, suppressions), ``BC_SKIP_MAPPING`` (the check id mapping) and
  ``CKV_SKIP_PACKAGE_UPDATE_CHECK`` (the version check its banner makes on import).
- Every connection or name lookup that is not loopback is refused and remembered; after the scan the
  refused ones are printed on stderr and the exit code is 3, so a checkov release that adds a new call
  fails the test suite instead of reaching out. aiodns is hidden so that aiohttp resolves names
  through ``socket.getaddrinfo`` (which is guarded) rather than c-ares (which would not be).
- Bicep files checkov cannot parse are named on stderr with file and line (checkov only counts them).
- Conditional Bicep resources (``resource x '...' = if (c) { ... }``) are read: checkov 3.3.30 hands
  the checks their ``{condition, config}`` wrapper instead of the resource body (it unwraps ``for``
  loops only), so every property check on such a resource would fail or pass on the wrong object.
  The body is checked as if the condition held.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import sys
import warnings
from pathlib import Path
from typing import Any

REFUSED_EXIT_CODE = 3
MARKER = "checkov_offline:"
OFFLINE_ENV = {"BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"}

refused: list[str] = []


def _is_loopback_host(host: object) -> bool:
    if host in ("localhost", "", None):
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def refuse_network() -> None:
    """Patch the socket module so only loopback can be reached; refusals are recorded in ``refused``."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_sendto = socket.socket.sendto
    real_getaddrinfo = socket.getaddrinfo

    def check(sock: socket.socket | None, address: object) -> None:
        inet = sock is None or sock.family in (socket.AF_INET, socket.AF_INET6)
        host = address[0] if isinstance(address, tuple) and address else None
        if inet and host is not None and not _is_loopback_host(host):
            refused.append(repr(address))
            # Printed at once too: checkov's forked workers have their own copy of ``refused``.
            print(f"{MARKER} refused network access to {address!r}", file=sys.stderr, flush=True)
            raise OSError(f"{MARKER} network access refused ({address!r})")

    def connect(self: socket.socket, address: Any) -> None:
        check(self, address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(self, address)
        return real_connect_ex(self, address)

    def sendto(self: socket.socket, data: Any, *args: Any) -> int:
        check(self, args[-1])
        return real_sendto(self, data, *args)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        check(None, (host,))
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = sendto  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo
    sys.modules["aiodns"] = None  # type: ignore[assignment]  # import fails: aiohttp falls back


def unwrap_conditional_resources() -> None:
    from checkov.bicep.parser import Parser

    real_parse = Parser.parse

    def parse(self: Parser, file_path: Any) -> Any:
        template, lines = real_parse(self, file_path)
        if template is None:  # checkov only counts the file as a parsing error: say where and why
            try:
                self.bicep_parser.parse(file_path=file_path)
            except Exception as error:
                where = f"line {getattr(error, 'line', '?')}, column {getattr(error, 'column', '?')}"
                reason = str(error).splitlines()[0]
                print(f"{MARKER} {file_path}: {where}: checkov cannot parse it: {reason}", file=sys.stderr)
        for resource in (template or {}).get("resources", {}).values():
            body = resource.get("config")
            if isinstance(body, dict) and set(body) == {"condition", "config"}:
                resource["config"] = body["config"]
        return template, lines

    Parser.parse = parse  # type: ignore[method-assign]


_SKIP = re.compile(r"checkov:skip=([A-Za-z0-9_]+)(.*)")


def inline_suppressions(folder: Path) -> list[tuple[str, int, str, str]]:
    """(file, line, check id, reason) of every checkov:skip comment in the Bicep files and Dockerfiles."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix == ".bicep" or p.name == "Dockerfile"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if m := _SKIP.search(line):
                found.append((path.name, number, m[1], m[2].removeprefix(":").strip()))
    return found


def main(argv: list[str]) -> int:
    os.environ.update(OFFLINE_ENV)  # read when checkov's modules are imported
    refuse_network()
    unwrap_conditional_resources()
    from checkov.main import Checkov

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=SyntaxWarning)  # as checkov's own entry point does
        code = Checkov(["--skip-download", *argv]).run() or 0
    return REFUSED_EXIT_CODE if refused else code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
