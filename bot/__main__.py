"""``python -m bot``: serve the Teams bot (settings from the environment, see .env.example)."""

from __future__ import annotations

import logging
import os
import sys

from aiohttp import web

from bot.app import create_app
from bot.services import Services, build_services
from bot.settings import BotSettings, settings_from_env
from mcem.errors import MCEMError
from mcem.logsafe import FORMATS, configure_logging
from mcem.telemetry_export import setup_telemetry


def main() -> int:
    style = os.environ.get("MCEM_LOG_FORMAT", "text").strip().lower() or "text"
    if style not in FORMATS:
        print(f"mcem bot: MCEM_LOG_FORMAT={style} is not one of {', '.join(FORMATS)}.", file=sys.stderr)
        return 2
    # One line per record: run ids, names and subjects in messages cannot forge a record.
    configure_logging(os.environ.get("MCEM_LOG_LEVEL", "INFO"), style=style)
    try:
        settings = settings_from_env(os.environ)
        services = build_services(os.environ)
        # Off (and not imported) unless an exporter is configured: mcem/telemetry_export.py.
        exporting = setup_telemetry(os.environ, service="mcem-analyst-bot")
    except MCEMError as err:
        print(f"mcem bot: {err}", file=sys.stderr)
        return 2
    try:
        return _serve(settings, services)
    finally:
        if exporting is not None:
            exporting.shutdown()  # the last spans and metrics, before the process ends


def _serve(settings: BotSettings, services: Services) -> int:
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
