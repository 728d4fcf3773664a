"""tooltrack installed from its wheel, not from the source tree: it migrates, seeds and finds its dashboard.

The wheel is built from a copy of the repository (so no `build/` or egg-info lands in the checkout)
and installed with `--no-deps` into a fresh virtual environment. That environment sees the project
venv's third-party packages through a `.pth` file naming their folder: a `.pth` line only puts a
folder on sys.path, it does not run the `.pth` files inside it, so the editable install's finder
stays out and `import tooltrack` must come from the wheel (asserted). Every command then runs from
a folder outside the repository with PYTHONPATH unset, as a user who ran `pip install tooltrack-*.whl`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import tomllib
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from tooltrack.cli.main import STREAMLIT_SETTINGS
from tooltrack.store import TaskLogRepository, make_engine
from tooltrack.store.migrate import current_revision, head_revisions
from tooltrack.store.schema import metadata

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
#: Where the top-level `migrations/` folder lands inside the installed package.
MIGRATIONS_IN_WHEEL = "tooltrack/store/migrations"
#: The dashboard's main script inside the installed package (alone in its folder: no `pages/` beside it).
APP_IN_WHEEL = "tooltrack/dashboard/entry/app.py"
#: What the copy of the repository leaves out: caches, venvs and earlier build output.
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "*.pyc", ".*_cache", "test-output", "output"
)


@dataclass(frozen=True)
class WheelVenv:
    """A fresh virtual environment with tooltrack installed from its wheel."""

    python: Path
    tooltrack: Path  # the console script
    site_packages: Path
    home: Path  # a working folder outside the repository
    wheel: Path

    def env(self, **extra: str) -> dict[str, str]:
        """The user's environment minus anything that would point Python back at the checkout."""
        drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "TOOLTRACK_DATABASE_URL"}
        env = {k: v for k, v in os.environ.items() if k not in drop}
        return {**env, "TOOLTRACK_HOME": str(self.home / "data"), **extra}

    def run(self, *command: str | Path, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(part) for part in command],
            cwd=self.home, env=self.env(**env), capture_output=True, text=True, timeout=600,
        )  # fmt: skip


def _build_wheel(into: Path) -> Path:
    source = into / "source"
    shutil.copytree(ROOT, source, ignore=NOT_COPIED)
    out = into / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", out, source],
        check=True, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    (wheel,) = out.glob("tooltrack-*.whl")
    return wheel


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> WheelVenv:
    base = tmp_path_factory.mktemp("wheel")
    wheel = _build_wheel(base)
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True, timeout=120)
    python = venv / "bin" / "python"
    # The project venv's pip installs into the new venv (pip's --python), so the new one needs no pip.
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", wheel],
        check=True, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
    )  # fmt: skip
    ours = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (site / "project_venv_packages.pth").write_text("".join(f"{path}\n" for path in ours))
    home = base / "home"
    home.mkdir()
    return WheelVenv(python=python, tooltrack=venv / "bin" / "tooltrack", site_packages=site, home=home, wheel=wheel)


def test_the_wheel_holds_the_migrations_and_the_dashboard(wheel_venv: WheelVenv) -> None:
    names = set(zipfile.ZipFile(wheel_venv.wheel).namelist())
    versions = sorted(p.name for p in (ROOT / "migrations" / "versions").glob("*.py") if p.name != "__init__.py")
    assert versions, "the source tree has migration scripts"
    wanted = {f"{MIGRATIONS_IN_WHEEL}/env.py", f"{MIGRATIONS_IN_WHEEL}/script.py.mako"}
    wanted |= {f"{MIGRATIONS_IN_WHEEL}/versions/{name}" for name in versions}
    wanted.add(APP_IN_WHEEL)
    # Every module of the package, pages included (the build lists its packages by hand: none forgotten).
    wanted |= {p.relative_to(ROOT).as_posix() for p in (ROOT / "tooltrack").rglob("*.py")}
    # And its data files (the price table): read at run time, so missing from a wheel means broken.
    wanted |= {p.relative_to(ROOT).as_posix() for p in (ROOT / "tooltrack").rglob("*.json")}
    assert wanted - names == set()
    # Nothing lands at the top of site-packages but the package and its metadata.
    dist_info = wheel_venv.wheel.name.split("-py3")[0] + ".dist-info"
    assert {name.split("/")[0] for name in names} == {"tooltrack", dist_info}
    # The dashboard's main script is alone in its folder: a `pages/` beside it turns Streamlit's
    # st.navigation off on a deep link (see tooltrack/dashboard/navigation.py).
    assert {n for n in names if n.startswith(APP_IN_WHEEL.rsplit("/", 1)[0] + "/")} == {APP_IN_WHEEL}


def test_the_installed_package_comes_from_the_wheel(wheel_venv: WheelVenv) -> None:
    probe = (
        "import json, tooltrack\n"
        "from tooltrack.store import alembic_config\n"
        "from tooltrack.core import builtin_prices\n"
        "print(json.dumps({'package': tooltrack.__file__,"
        " 'scripts': alembic_config().get_main_option('script_location'),"
        " 'priced': builtin_prices().price('claude-sonnet-4-5-20250929') is not None}))"
    )
    result = wheel_venv.run(wheel_venv.python, "-c", probe)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert Path(found["package"]).is_relative_to(wheel_venv.site_packages), found
    scripts = Path(found["scripts"])
    assert scripts.is_relative_to(wheel_venv.site_packages), found
    assert (scripts / "env.py").is_file() and (scripts / "script.py.mako").is_file()
    assert found["priced"], "the price table ships with the wheel and loads from it"


def test_db_upgrade_and_demo_from_the_wheel(wheel_venv: WheelVenv, blank_database_url: str) -> None:
    upgraded = wheel_venv.run(wheel_venv.tooltrack, "db", "upgrade", TOOLTRACK_DATABASE_URL=blank_database_url)
    assert upgraded.returncode == 0, upgraded.stderr
    engine = make_engine(blank_database_url)
    try:
        assert current_revision(engine) == head_revisions()[0]
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())

        demo = wheel_venv.run(
            wheel_venv.tooltrack, "demo", "--workflows", "5", TOOLTRACK_DATABASE_URL=blank_database_url
        )
        assert demo.returncode == 0, demo.stderr
        stored = re.search(r"stored (\d+) task logs", demo.stdout)
        assert stored, demo.stdout
        assert TaskLogRepository(engine).count() == int(stored.group(1)) > 0
        with engine.connect() as connection:
            workflows = connection.execute(text("SELECT COUNT(DISTINCT adw_id) FROM task_logs")).scalar_one()
        assert workflows == 5
    finally:
        engine.dispose()


def test_the_installed_dashboard_renders_a_deep_link(wheel_venv: WheelVenv, tmp_path: Path) -> None:
    """The packaged main script runs the navigation; the Failures page opens with a filter in its link."""
    url = f"sqlite:///{tmp_path / 'dashboard.db'}"
    assert wheel_venv.run(wheel_venv.tooltrack, "demo", "--workflows", "5", TOOLTRACK_DATABASE_URL=url).returncode == 0
    probe = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "import tooltrack\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"app = Path(tooltrack.__file__).parents[1] / {APP_IN_WHEEL!r}\n"
        "at = AppTest.from_file(str(app), default_timeout=120).run()\n"
        "first = [t.value for t in at.title]\n"
        "at.switch_page('../pages/failures.py')\n"
        "at.query_params['tool'] = 'Bash'\n"
        "at.run()\n"
        "print(json.dumps({'app': str(app), 'first': first, 'then': [t.value for t in at.title],"
        " 'errors': [e.message for e in at.exception]}))"
    )
    result = wheel_venv.run(wheel_venv.python, "-c", probe, TOOLTRACK_DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    assert Path(shown["app"]).is_relative_to(wheel_venv.site_packages)
    assert shown == {**shown, "first": ["Overview"], "then": ["Failures"], "errors": []}


def test_the_dashboard_command_serves_the_installed_script(wheel_venv: WheelVenv, tmp_path: Path) -> None:
    """`tooltrack dashboard` from the wheel finds its main script and Streamlit comes up healthy."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    log = tmp_path / "dashboard.log"
    command = [str(wheel_venv.tooltrack), "dashboard", "--host", "127.0.0.1", "--port", str(port), "--no-demo"]
    env = wheel_venv.env(TOOLTRACK_DATABASE_URL=f"sqlite:///{tmp_path / 'dashboard.db'}")
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=wheel_venv.home, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            healthy, deadline = False, time.monotonic() + 90
            while not healthy and process.poll() is None and time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
                        healthy = answer.status == 200
                except OSError:
                    time.sleep(0.3)
        finally:
            process.terminate()
            process.wait(timeout=30)
    assert healthy, log.read_text()


def test_the_dashboard_command_carries_the_repository_streamlit_settings() -> None:
    """An installed tooltrack has no .streamlit/config.toml: the CLI passes the same settings as flags."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    flat = {
        f"{section}.{key}": str(value).lower() if isinstance(value, bool) else str(value)
        for section, options in config.items()
        for key, value in options.items()
    }
    assert flat == STREAMLIT_SETTINGS
