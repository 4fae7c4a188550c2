"""The quality benchmark's parts: answer keys (``key``), the outputs of one run (``outputs``) and the
scoring of those outputs against a key (``score``). ``benchmarks/quality.py`` is the command."""
