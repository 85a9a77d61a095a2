"""Start-up faults as configuration errors: a port in use, a host that does not resolve, an
outbox or history path that cannot hold a database. Each is one line naming the setting
(exit 2), never a traceback."""

from __future__ import annotations

import errno
import socket
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

from monitor.settings import ConfigError, Settings, setting_error
from monitor.web.server import WebServer


async def open_database(
    loc: tuple[str, ...], path: Path, opener: Callable[[], Awaitable[None]]
) -> None:
    """Open one SQLite file, or refuse the setting that names it."""
    try:
        await opener()
    except (OSError, sqlite3.Error) as exc:
        raise setting_error(loc, _file_problem(path, exc)) from None


def _file_problem(path: Path, exc: OSError | sqlite3.Error) -> str:
    if path.is_dir():
        return f"{path} is a directory"
    blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        return f"cannot use {path}: {blocker} is not a directory"
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return f"cannot use {path}: {reason}"


def _listen_problem(settings: Settings, exc: OSError) -> ConfigError:
    web = settings.web
    if isinstance(exc, socket.gaierror):
        return setting_error(("web", "host"), f"cannot resolve {web.host!r}")
    if exc.errno == errno.EADDRINUSE:
        return setting_error(("web", "port"), f"port {web.port} in use")
    if exc.errno == errno.EADDRNOTAVAIL:
        return setting_error(("web", "host"), f"{web.host!r} is not an address of this host")
    return setting_error(("web", "port"), f"cannot listen on {web.host}:{web.port}: {exc}")


async def bind_web(server: WebServer, settings: Settings) -> None:
    """Bind the web server before anything runs, or refuse the setting."""
    try:
        await server.start()
    except OSError as exc:
        raise _listen_problem(settings, exc) from None
