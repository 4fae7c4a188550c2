"""The core of MCEM Analyst: a transcript in, a verified MCEM Interview Analysis out.

Knows nothing of Teams, Graph or the bot (it imports nothing from cards/, graph/ or bot/):

- ``parsing``: any supported transcript file -> ``transcript.Transcript``
- ``model``: the pydantic ``Analysis``, the single source of truth every output renders
- ``analyzer``: the one ``Analyzer`` interface; ``offline`` and ``llm`` implement it, and
  ``engines.analyzer_from_env`` picks one for the CLI and the bot alike
- ``pipeline``: analyse then ``verify`` (quotes checked against the transcript) with ``leaks``
  (the internal-reference guard every output shares)
- ``render``: pure renderers of an Analysis: Markdown, Word, the email and the summary card
- ``errors``: the error tree, each error with its title and advice; ``config``: setting rules
- ``cli``: ``mcem analyze FILE``
"""
