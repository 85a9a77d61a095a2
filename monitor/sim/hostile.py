"""Hostile targets on loopback: servers that misbehave the ways real ones do (or attackers
would), below what aiohttp's server lets a handler do. One plain listener answers each case
on its own path; a TLS listener presents a self-signed certificate.

    python -m monitor.sim.hostile [--bomb-mb 1024]   # prints its URLs, serves until stopped
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import enum
import socket
import struct
import zlib
from collections.abc import Callable, Iterator

import brotli
from backports import zstd

from monitor.clock import Clock, SystemClock
from monitor.sim.tls import self_signed_context

UNRESOLVABLE_URL = "http://hostile.invalid/"  # RFC 6761: never resolves, never leaves the host
_SLICE = 64 * 1024
_ZEROS = bytes(_SLICE)
BIG_BYTES = 100 << 20


class Hostile(enum.StrEnum):
    """The cases, each served at `/<value>`. `OK` is the well-behaved control."""

    OK = "ok"
    BIG_LENGTH = "big-length"  # 100 MB announced by Content-Length
    BIG_CHUNKED = "big-chunked"  # 100 MB, chunked
    GZIP_BOMB_LENGTH = "gzip-bomb-length"
    GZIP_BOMB_CHUNKED = "gzip-bomb-chunked"
    DEFLATE_BOMB_LENGTH = "deflate-bomb-length"
    DEFLATE_BOMB_CHUNKED = "deflate-bomb-chunked"
    BR_BOMB_LENGTH = "br-bomb-length"
    BR_BOMB_CHUNKED = "br-bomb-chunked"
    ZSTD_BOMB_LENGTH = "zstd-bomb-length"
    ZSTD_BOMB_CHUNKED = "zstd-bomb-chunked"
    SLOW_BODY = "slow-body"  # one byte a second
    ENDLESS_HEADERS = "endless-headers"  # one header line a second, never a blank line
    SILENT = "silent"  # reads the request, never answers
    RESET_MID_BODY = "reset-mid-body"  # TCP RST after part of the announced body
    BR_SMALL = "br-small"  # a well-formed brotli body: decodes to the control's answer
    ZSTD_SMALL = "zstd-small"
    BAD_GZIP = "bad-gzip"  # Content-Encoding: gzip over bytes that are not gzip
    BAD_UTF8 = "bad-utf8"
    DEEP_JSON = "deep-json"  # 100,000 nested arrays
    HUGE_HEADER = "huge-header"  # one 1 MB header line
    MANY_HEADERS = "many-headers"  # 10,000 header lines
    REDIRECT_LOOP = "redirect-loop"
    REDIRECT_OFF_HOST = "redirect-off-host"
    HTTP10_NO_LENGTH = "http10-no-length"  # HTTP/1.0, body until close, endless


class _Packer:
    """One streaming compressor: `compress` a slice, `flush` the end."""

    def __init__(self, compress: Callable[[bytes], bytes], flush: Callable[[], bytes]) -> None:
        self.compress, self.flush = compress, flush


def _packer(encoding: str) -> _Packer:
    if encoding == "br":
        packer = brotli.Compressor(quality=5)
        return _Packer(packer.process, packer.finish)
    if encoding == "zstd":
        zpacker = zstd.ZstdCompressor(level=1)
        return _Packer(zpacker.compress, zpacker.flush)
    wbits = 31 if encoding == "gzip" else 15  # zlib-wrapped deflate
    zlib_packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    return _Packer(zlib_packer.compress, zlib_packer.flush)


def bomb(decoded_bytes: int, encoding: str) -> bytes:
    """Zeros compressed in `encoding` (gzip ~1000:1, zstd ~30,000:1, br far more)."""
    packer = _packer(encoding)

    def parts() -> Iterator[bytes]:
        for _ in range(decoded_bytes // _SLICE):
            yield packer.compress(_ZEROS)
        yield packer.flush()

    return b"".join(parts())


BOMB_ENCODINGS = ("gzip", "deflate", "br", "zstd")


def _head(status: str, *fields: str, version: str = "HTTP/1.1") -> bytes:
    return "\r\n".join([f"{version} {status}", *fields, "", ""]).encode()


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


class HostileServer:
    """Both listeners. `bomb_bytes` sets how far the bombs inflate."""

    def __init__(self, clock: Clock, *, bomb_bytes: int = 1 << 30) -> None:
        self._clock = clock
        self._bombs = {encoding: bomb(bomb_bytes, encoding) for encoding in BOMB_ENCODINGS}
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.base_url = self.tls_url = ""

    async def start(self, host: str = "127.0.0.1", port: int = 0, tls_port: int = 0) -> None:
        plain = await asyncio.start_server(self._connected, host, port, limit=1 << 16)
        tls = await asyncio.start_server(
            self._connected, host, tls_port, ssl=self_signed_context(self._clock.wall())
        )
        self._servers = [plain, tls]
        self.base_url = f"http://{host}:{plain.sockets[0].getsockname()[1]}"
        self.tls_url = f"https://{host}:{tls.sockets[0].getsockname()[1]}/{Hostile.OK}"

    def url(self, case: Hostile) -> str:
        return f"{self.base_url}/{case}"

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for server in self._servers:
            await server.wait_closed()

    async def _connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while True:  # keep-alive: one request after another
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode("latin-1").lstrip("/")
                case = _BY_PATH.get(path, Hostile.OK)
                if not await self._answer(case, writer):
                    break
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client went away: that is how most cases end
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _answer(self, case: Hostile, writer: asyncio.StreamWriter) -> bool:
        """Serve one case; True when the connection may carry another request."""
        if case is Hostile.OK:
            body = b'{"status":"ok"}'
            writer.write(_head("200 OK", f"Content-Length: {len(body)}") + body)
            await writer.drain()
            return True
        if case in (Hostile.REDIRECT_LOOP, Hostile.REDIRECT_OFF_HOST):
            where = f"/{case}" if case is Hostile.REDIRECT_LOOP else UNRESOLVABLE_URL
            writer.write(_head("302 Found", f"Location: {where}", "Content-Length: 0"))
            await writer.drain()
            return True
        await self._misbehave(case, writer)
        return False

    async def _misbehave(self, case: Hostile, writer: asyncio.StreamWriter) -> None:
        if case in _BIG:
            writer.write(_BIG[case])
            await self._zeros(writer, BIG_BYTES, chunked=case is Hostile.BIG_CHUNKED)
        elif case in _BOMBS:
            await self._bomb(writer, *_BOMBS[case])
        elif case is Hostile.SLOW_BODY:
            writer.write(_head("200 OK", _JSON, "Content-Length: 1000"))
            await self._drip(writer, b" ")
        elif case is Hostile.ENDLESS_HEADERS:
            writer.write(b"HTTP/1.1 200 OK\r\n")
            await self._drip(writer, b"X-Again: yes\r\n")
        elif case is Hostile.SILENT:
            await asyncio.Event().wait()  # until stop() cancels this connection
        elif case is Hostile.RESET_MID_BODY:
            writer.write(_head("200 OK", _JSON, "Content-Length: 10000") + b'{"status": "o')
            await writer.drain()
            _reset(writer)
        else:
            writer.write(_FIXED[case])
            await writer.drain()

    async def _zeros(self, writer: asyncio.StreamWriter, total: int, *, chunked: bool) -> None:
        sent = 0
        while sent < total:
            writer.write(_chunk(_ZEROS) if chunked else _ZEROS)
            await writer.drain()
            sent += _SLICE

    async def _bomb(self, writer: asyncio.StreamWriter, encoding: str, chunked: bool) -> None:
        data = self._bombs[encoding]
        framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(data)}"
        writer.write(_head("200 OK", _JSON, f"Content-Encoding: {encoding}", framing))
        for start in range(0, len(data), _SLICE):
            piece = data[start : start + _SLICE]
            writer.write(_chunk(piece) if chunked else piece)
            await writer.drain()
        if chunked:
            writer.write(b"0\r\n\r\n")
            await writer.drain()

    async def _drip(self, writer: asyncio.StreamWriter, piece: bytes) -> None:
        while not writer.is_closing():
            writer.write(piece)
            await writer.drain()
            await self._clock.sleep(1.0)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST instead of a FIN (SO_LINGER 0)."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


_BY_PATH = {case.value: case for case in Hostile}
_BOMBS = {
    Hostile.GZIP_BOMB_LENGTH: ("gzip", False),
    Hostile.GZIP_BOMB_CHUNKED: ("gzip", True),
    Hostile.DEFLATE_BOMB_LENGTH: ("deflate", False),
    Hostile.DEFLATE_BOMB_CHUNKED: ("deflate", True),
    Hostile.BR_BOMB_LENGTH: ("br", False),
    Hostile.BR_BOMB_CHUNKED: ("br", True),
    Hostile.ZSTD_BOMB_LENGTH: ("zstd", False),
    Hostile.ZSTD_BOMB_CHUNKED: ("zstd", True),
}


def _fixed(body: bytes, *fields: str) -> bytes:
    return _head("200 OK", *fields, f"Content-Length: {len(body)}") + body


_JSON = "Content-Type: application/json"
_BIG = {
    Hostile.BIG_LENGTH: _head("200 OK", _JSON, f"Content-Length: {BIG_BYTES}"),
    Hostile.BIG_CHUNKED: _head("200 OK", _JSON, "Transfer-Encoding: chunked"),
    Hostile.HTTP10_NO_LENGTH: _head("200 OK", _JSON, version="HTTP/1.0"),
}
_OK_BODY = b'{"status":"ok"}'
_FIXED = {
    Hostile.BR_SMALL: _fixed(brotli.compress(_OK_BODY), _JSON, "Content-Encoding: br"),
    Hostile.ZSTD_SMALL: _fixed(zstd.compress(_OK_BODY), _JSON, "Content-Encoding: zstd"),
    Hostile.BAD_GZIP: _fixed(b"\x1f\x8b\x08\x00not-gzip-at-all", _JSON, "Content-Encoding: gzip"),
    Hostile.BAD_UTF8: _fixed(b'{"status":"\xff\xfe\xfd"}', _JSON),
    Hostile.DEEP_JSON: _fixed(b"[" * 100_000 + b"]" * 100_000, _JSON),
    Hostile.HUGE_HEADER: _fixed(b"", "X-Huge: " + "h" * (1 << 20)),
    Hostile.MANY_HEADERS: _fixed(b"", *(f"X-Many-{i}: m" for i in range(10_000))),
}


async def _serve_forever(bomb_bytes: int) -> None:
    server = HostileServer(SystemClock(), bomb_bytes=bomb_bytes)
    await server.start()
    print(server.base_url, server.tls_url, flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="hostile HTTP targets on loopback")
    parser.add_argument("--bomb-mb", type=int, default=1024, help="how far the bombs inflate")
    options = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_forever(options.bomb_mb << 20))
