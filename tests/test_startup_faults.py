"""Start-up faults end the process with exit 2 and one line naming the setting: a web port
in use, a listen host that does not resolve, an outbox or history path that cannot hold a
database (a directory, under a file). A real `python -m monitor` process each time."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.test_cli import clean_env, run_cli


def files(tmp_path: Path, **extra: str) -> dict[str, str]:
    defaults = {
        "MONITOR_NOTIFY__OUTBOX_PATH": str(tmp_path / "outbox.sqlite3"),
        "MONITOR_STORE__PATH": str(tmp_path / "history.sqlite3"),
        "MONITOR_INTERVAL_S": "60",
        "MONITOR_LOG_LEVEL": "WARNING",
    }
    return clean_env(**(defaults | extra))


async def one_line_exit_2(env: dict[str, str]) -> str:
    code, _, err = await run_cli("run", env=env)
    assert code == 2, err
    assert "Traceback" not in err
    (line,) = err.splitlines()
    return line


async def test_web_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = await one_line_exit_2(files(tmp_path, MONITOR_WEB__PORT=str(port)))
    assert line == f"invalid setting web.port (MONITOR_WEB__PORT): port {port} in use"


async def test_unresolvable_listen_host(tmp_path: Path) -> None:
    line = await one_line_exit_2(files(tmp_path, MONITOR_WEB__HOST="monitor.invalid"))
    assert line == "invalid setting web.host (MONITOR_WEB__HOST): cannot resolve 'monitor.invalid'"


@pytest.mark.parametrize(
    ("variable", "loc"),
    [("MONITOR_NOTIFY__OUTBOX_PATH", "notify.outbox_path"), ("MONITOR_STORE__PATH", "store.path")],
)
async def test_database_path_is_a_directory(tmp_path: Path, variable: str, loc: str) -> None:
    directory = tmp_path / "a-directory"
    directory.mkdir()
    line = await one_line_exit_2(files(tmp_path, **{variable: str(directory)}))
    assert line == f"invalid setting {loc} ({variable}): {directory} is a directory"


@pytest.mark.parametrize(
    ("variable", "loc"),
    [("MONITOR_NOTIFY__OUTBOX_PATH", "notify.outbox_path"), ("MONITOR_STORE__PATH", "store.path")],
)
async def test_database_path_under_a_file(tmp_path: Path, variable: str, loc: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    path = blocker / "db.sqlite3"
    line = await one_line_exit_2(files(tmp_path, **{variable: str(path)}))
    problem = f"cannot use {path}: {blocker} is not a directory"
    assert line == f"invalid setting {loc} ({variable}): {problem}"
