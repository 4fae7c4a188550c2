"""``python -m graph.emulator``: serve the Graph emulator on 127.0.0.1."""

from graph.emulator.app import main

if __name__ == "__main__":
    raise SystemExit(main())
