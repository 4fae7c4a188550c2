"""``python -m bot``: serve the Teams bot (settings from the environment, see .env.example)."""

from __future__ import annotations

import logging
import os
import sys

from aiohttp import web

from bot.app import create_app
from bot.services import build_services
from bot.settings import settings_from_env
from mcem.errors import MCEMError
from mcem.logsafe import configure_logging


def main() -> int:
    # One line per record: run ids, names and subjects in messages cannot forge a record.
    configure_logging(os.environ.get("MCEM_LOG_LEVEL", "INFO"))
    try:
        settings = settings_from_env(os.environ)
        services = build_services(os.environ)
    except MCEMError as err:
        print(f"mcem bot: {err}", file=sys.stderr)
        return 2
    if settings.anonymous:
        # Expected without an app id, and said on every reply: once at start-up is enough.
        logging.getLogger("microsoft_agents.hosting.core.connector.client.user_token_client").setLevel(
            logging.ERROR
        )
    mode = "anonymous local mode" if settings.anonymous else "authenticated"
    print(f"MCEM Analyst bot on http://{settings.host}:{settings.port}/api/messages ({mode})", flush=True)
    try:
        web.run_app(create_app(settings, services), host=settings.host, port=settings.port, print=None)
    except MCEMError as err:  # raised at start-up, e.g. an unusable MCEM_STATE_PATH
        print(f"mcem bot: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(
            f"mcem bot: cannot listen on {settings.host}:{settings.port} ({err.strerror or err}): "
            "set MCEM_BOT_PORT to a free port.",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
