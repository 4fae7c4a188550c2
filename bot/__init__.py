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
- ``state``: what survives a restart, every record kind written once (``BotState``, ``State``,
  ``SqliteState``) above ``records``, the record primitive (get, insert-if-absent,
  replace-if-unchanged, put, delete, scan) of ``records_sqlite`` and ``records_azure``;
  ``state_azure``: ``AzureTableState``, the same records on Azure Table Storage;
  ``ownership``: one instance of several keeps the Graph subscription
"""
