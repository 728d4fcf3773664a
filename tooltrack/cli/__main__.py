"""`python -m tooltrack.cli`: the `tooltrack` command."""

from tooltrack.cli import main

main()
