"""tooltrack's Alembic migrations, installed as the package `tooltrack.store.migrations`.

The folder stays at the top of the repository; pyproject.toml maps it into the package so that a
wheel carries it (tooltrack.store.migrate finds it there). Alembic reads env.py and versions/ as
files, never by importing this package.
"""
