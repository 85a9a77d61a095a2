"""A local HTTP target for benchmarks when nginx is not wanted: every path answers
`{"status":"ok"}` at once. Run as its own process (pinned to a core by the caller).

    python -m bench.target PORT
"""

from __future__ import annotations

import sys

from aiohttp import web

BODY = b'{"status":"ok"}'


async def ok(request: web.Request) -> web.Response:
    return web.Response(body=BODY, content_type="application/json")


def main(port: int) -> None:
    app = web.Application()
    app.router.add_get("/{tail:.*}", ok)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main(int(sys.argv[1]))
