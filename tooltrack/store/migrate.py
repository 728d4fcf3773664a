"""Running the Alembic migrations in `migrations/` from code (the CLI, tests, the dashboard)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = PROJECT_ROOT / "migrations"


def alembic_config() -> Config:
    if not (MIGRATIONS / "env.py").exists():
        raise FileNotFoundError(
            f"tooltrack's migrations were not found at {MIGRATIONS}; install tooltrack from its "
            "source tree (pip install -e .)"
        )
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database up to `revision` (default: the newest)."""
    _run(engine, lambda config: command.upgrade(config, revision))


def downgrade(engine: Engine, revision: str) -> None:
    _run(engine, lambda config: command.downgrade(config, revision))


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revisions() -> list[str]:
    return list(ScriptDirectory.from_config(alembic_config()).get_heads())


def _run(engine: Engine, action: object) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        action(config)  # type: ignore[operator]
