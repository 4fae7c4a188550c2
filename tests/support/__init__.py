"""Harnesses the test modules share, so that no test module imports another:

- ``cards``: reading a card's texts and actions
- ``connector``: the Bot Connector v3 stand-in and the activities Teams sends
- ``bot``: the bot stacks (the app with fakes, or subscribed to the Graph emulator)
- ``drafts``: the stack for the summary card's Email and Refresh (emulator library and mailbox)
- ``processes``: ``python -m bot`` in its own process
- ``analyses``, ``llm``, ``samples``: a small Analysis, a two-line call, a sample file read cue by cue
- ``graph``: the Graph emulator on a real port and the published Graph spec as validators
- ``azurite``: Azurite's table service for the several-instance state; ``stores``: one empty store
  of each backend (SQLite, Azurite) for the state tests that must hold on both
- ``browser``: headless Chromium

The card schema fixture and the OpenAI-compatible stand-in are fixtures in tests/conftest.py.
"""
