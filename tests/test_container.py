"""No Docker engine runs here, so this runs the Dockerfile's own steps: its pip install in a
clean venv, then its CMD with its ENV (host and paths adapted to the test), until its
HEALTHCHECK command passes; then a SIGTERM must stop it cleanly."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import shutil
import signal
import sys
from pathlib import Path
from typing import Any

from monitor.clock import SystemClock
from monitor.sim.server import SimCluster
from tests.ports import free_port

ROOT = Path(__file__).parent.parent


def _instruction(text: str, pattern: str) -> str:
    match = re.search(pattern, text, re.M)
    assert match is not None, pattern
    return match.group(1)


def dockerfile() -> dict[str, Any]:
    """The ENV, the pip install, the CMD and the HEALTHCHECK command, read from the file."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    env = dict(re.findall(r"(\w+)=(\S+)", _instruction(text, r"^ENV (.+)$")))
    return {
        "env": env,
        "copy": [line.split()[1:] for line in re.findall(r"^COPY .+$", text, re.M)],
        "pip": shlex.split(_instruction(text, r"^RUN (pip install .+)$")),
        "cmd": json.loads(_instruction(text, r"^CMD (\[.+\])$")),
        "health": json.loads(_instruction(text, r"HEALTHCHECK .*? CMD (\[.+\])$")),
    }


async def run(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> int:
    proc = await asyncio.create_subprocess_exec(
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return await proc.wait()


async def test_the_image_recipe_installs_starts_and_passes_its_healthcheck(tmp_path: Path) -> None:
    spec = dockerfile()
    venv = tmp_path / "venv"
    assert await run(sys.executable, "-m", "venv", str(venv)) == 0
    python = str(venv / "bin" / "python")
    workdir = tmp_path / "app"  # the image's WORKDIR, filled by its COPY lines
    workdir.mkdir()
    for *sources, dest in spec["copy"]:
        for source in sources:
            copy = shutil.copytree if (ROOT / source).is_dir() else shutil.copy
            copy(
                ROOT / source,
                workdir / dest / Path(source).name if dest.endswith("/") else workdir / dest,
            )
    pip: list[str] = spec["pip"]
    async with asyncio.timeout(600):
        assert await run(python, "-m", *pip, cwd=workdir) == 0  # the Dockerfile's pip install
    cluster = SimCluster(SystemClock())
    await cluster.start()
    port = free_port()
    env = {
        **spec["env"],
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "MONITOR_WEB__HOST": "127.0.0.1",
        "MONITOR_WEB__PORT": str(port),
        "MONITOR_NOTIFY__OUTBOX_PATH": str(tmp_path / "data" / "outbox.sqlite3"),
        "MONITOR_STORE__PATH": str(tmp_path / "data" / "history.sqlite3"),
    }
    for venue, url in cluster.urls.items():
        env[f"MONITOR_EXCHANGES__{venue.upper()}__BASE_URL"] = url
    cmd: list[str] = spec["cmd"]
    health: list[str] = spec["health"]
    service = await asyncio.create_subprocess_exec(
        *cmd, env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE
    )
    try:
        async with asyncio.timeout(60):
            while await run(*health, env=env) != 0:  # as Docker would: retry the check
                await SystemClock().sleep(0.5)
        service.send_signal(signal.SIGTERM)
        async with asyncio.timeout(15):
            _, err = await service.communicate()
        assert service.returncode == 0, err.decode()[-2000:]
    finally:
        if service.returncode is None:
            service.kill()
            await service.wait()
        await cluster.stop()
