"""The Teams bot (Microsoft 365 Agents SDK on aiohttp): ``python -m bot``.

- ``app``: ``create_app(settings, services)`` wires the adapter, every handler set and the endpoints
- ``settings``, ``services``: read once at start-up (the outside services, the run store)
- ``teams``: the turn helpers every handler set uses (card activities, invoke answers, who and where)
- ``handlers`` (commands, the bot's own cards' buttons), ``draft_handlers`` (the summary card's
  Email and Refresh; the work is in ``drafts``), ``proactive`` (personal chats), ``notifications``
  (Graph's transcript notifications, journey 2), ``meeting_chats`` (rsc mode: the meeting-end
  event and ``analyze`` in a meeting's chat, through microsoft-agents-hosting-msteams)
- ``analysis``: the analysis use case; ``runner``: runs it in the background, its CPU-bound
  steps (``steps``, ``work``) in a pool of worker processes (``pool``)
- ``state`` / ``state_azure``: what survives a restart, in SQLite or Azure Table Storage;
  ``ownership``: one instance of several keeps the Graph subscription
"""
