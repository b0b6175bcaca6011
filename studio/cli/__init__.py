"""The `studio` command. Each subcommand lives in its own module with ``register(subparsers)``; keep them thin."""
