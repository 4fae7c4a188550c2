"""Tools for development and the end-to-end tests, never part of the product: nothing in production
imports this package, and the deployed image leaves it out (deploy/Dockerfile).

- ``devstack``: the local stack (Graph emulator, bot, Microsoft 365 Agents Playground) on 127.0.0.1
- ``playground_client``: a client of the Playground's HTTP API, for the demo's check and the e2e tests
- ``load_seed``: the Graph emulator seeded with load users, for benchmarks/load.py
- ``connector``: a light Bot Connector stand-in that times what the bot posts, for benchmarks/load.py
"""
