"""The `tooltrack` command line: the top floor, which wires every stage into one command.

`main` is the console script; each command lives in the module named for what it does
(`ingest`, `rollups`, `serve`, `capture`, and the database commands in `main`), and all of them
migrate the database the same way (`migrate.upgrade_database`).
"""

from tooltrack.cli.main import main

__all__ = ["main"]
