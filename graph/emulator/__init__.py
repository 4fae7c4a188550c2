"""A local Microsoft Graph emulator, for development and tests only: nothing in production imports it.

It answers the same URLs and JSON as Graph v1.0 for the calls this product makes (users,
calendarView/events, onlineMeetings by JoinWebUrl, transcripts and their WebVTT content, SharePoint
drive uploads, sendMail, transcript subscriptions), seeded with a demo tenant. One module per part:

- ``app``: the aiohttp application (bearer-token check, request log, test-only routes), ``run``, ``main``
- ``state``: the in-memory state and Graph's error and OData shapes
- ``meetings``, ``drive``, ``mail``, ``subscriptions``: the routes of each area
- ``seed``: the demo tenant (users, meetings, transcripts, the SharePoint library's ``DRIVE_ID``)

Run: ``python -m graph.emulator --port 5090`` then point the client at http://127.0.0.1:5090/v1.0.
The deployed image leaves this folder out (deploy/Dockerfile).
"""

from graph.emulator.app import create_app, main, run

__all__ = ["create_app", "main", "run"]
