"""Reading a response body under a cap on DECODED bytes and on the compression ratio.

aiohttp decodes gzip, deflate, br (Brotli) and zstd (backports.zstd) as the body
is read, a bounded slice at a time; reading in slices therefore bounds both memory and the
time any one step holds the loop, whatever the framing (Content-Length, chunked, or until
the connection closes). `response.read()` would inflate a bomb whole: never call it here.
"""

from __future__ import annotations

import dataclasses

import aiohttp

READ_SLICE_BYTES = 64 * 1024
RATIO_FLOOR_BYTES = 64 * 1024  # the ratio is judged only past this much decoded data


@dataclasses.dataclass(frozen=True, slots=True)
class BodyLimits:
    """`max_bytes` of decoded data; `max_ratio` decoded bytes per byte on the wire."""

    max_bytes: int
    max_ratio: float = 200.0


@dataclasses.dataclass(frozen=True, slots=True)
class Body:
    """What was read: the data, or why it was refused (`data` is None then)."""

    data: bytes | None
    read_bytes: int  # decoded bytes taken in, refused or not: at most max_bytes + 1
    refusal: str | None = None


def _encoded(response: aiohttp.ClientResponse) -> bool:
    return response.content.total_compressed_bytes is not None


def _refusal(response: aiohttp.ClientResponse, decoded: int, limits: BodyLimits) -> str | None:
    if decoded > limits.max_bytes:
        kind = "decoded body" if _encoded(response) else "body"
        return f"{kind} over {limits.max_bytes} bytes"
    if decoded >= RATIO_FLOOR_BYTES and _encoded(response):
        wire = max(response.content.total_raw_bytes, 1)
        if decoded > limits.max_ratio * wire:
            return f"compression ratio over {limits.max_ratio:g}:1"
    return None


async def read_body(response: aiohttp.ClientResponse, limits: BodyLimits) -> Body:
    """The decoded body, or a refusal as soon as it is known to break a limit."""
    length = response.content_length
    if length is not None and length > limits.max_bytes:  # on the wire; decoding hardly shrinks
        return Body(None, 0, f"body over {limits.max_bytes} bytes")
    chunks = bytearray()
    while True:
        want = min(READ_SLICE_BYTES, limits.max_bytes + 1 - len(chunks))
        chunk = await response.content.read(want)
        if not chunk:
            return Body(bytes(chunks), len(chunks))
        chunks += chunk
        refusal = _refusal(response, len(chunks), limits)
        if refusal is not None:
            return Body(None, len(chunks), refusal)
