"""``python -m bot`` fails with one clear line, never a traceback."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.support.processes import run_bot


def test_anonymous_mode_on_a_public_address_is_refused() -> None:
    result = run_bot(MCEM_BOT_HOST="0.0.0.0")
    assert result.returncode == 2
    assert result.stderr.startswith("mcem bot: MCEM_BOT_HOST=0.0.0.0 is not a loopback address")
    assert "Traceback" not in result.stderr


def test_a_busy_port_says_which_setting_to_change() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_bot(
            MCEM_BOT_PORT=str(port),
            MCEM_GRAPH_BASE_URL="http://127.0.0.1:9/v1.0",
            MCEM_SHAREPOINT_DRIVE_ID="b!drive",
        )
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "MCEM_BOT_PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unusable_state_path_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = run_bot(
        MCEM_STATE_PATH=str(blocker / "state.sqlite3"),
        MCEM_GRAPH_BASE_URL="http://127.0.0.1:9/v1.0",
        MCEM_SHAREPOINT_DRIVE_ID="b!drive",
    )
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]  # after the SDK's own start-up log lines
    assert last.startswith("mcem bot: MCEM_STATE_PATH=") and last.endswith("point it at a writable file.")
    assert "Traceback" not in result.stderr
