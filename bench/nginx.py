"""A fast loopback target: nginx with the echo module answering after a fixed delay, pinned to
its own core, so that the target is never the bottleneck."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

from bench.service import serving

MODULE = "/usr/lib/nginx/modules/ngx_http_echo_module.so"
CONFIG = """
load_module {module};
worker_processes 1;
worker_rlimit_nofile 65536;
pid {root}/nginx.pid;
error_log {root}/error.log error;
events {{ worker_connections 32768; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    client_body_temp_path {root};
    proxy_temp_path {root};
    fastcgi_temp_path {root};
    uwsgi_temp_path {root};
    scgi_temp_path {root};
    server {{
        listen 127.0.0.1:{port} backlog=8192;
        location / {{
            default_type application/json;
            echo_sleep {delay_s};
            echo '{{"status":"ok"}}';
        }}
    }}
}}
"""


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@contextlib.asynccontextmanager
async def nginx(root: Path, port: int, delay_s: float, core: int) -> AsyncIterator[str]:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(MODULE) or not os.path.exists(binary):  # noqa: ASYNC240 - start-up
        raise SystemExit(
            "make bench needs nginx and its echo module: "
            "apt-get install nginx libnginx-mod-http-echo"
        )
    config = root / "nginx.conf"
    _write(config, CONFIG.format(module=MODULE, root=root, port=port, delay_s=delay_s))
    proc = await asyncio.create_subprocess_exec(
        "taskset",
        "-c",
        str(core),
        binary,
        "-c",
        str(config),
        "-g",
        "daemon off;",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    async with serving(proc, port, tries=100) as url:
        yield url
