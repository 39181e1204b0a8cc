"""Subcommands of the `labkit` command line, one module per feature (see labkit/cli.py)."""
