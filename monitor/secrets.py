"""Configured secrets, and removing them from what a target sends back.

A target may reflect what we send (an echoed API key, an Authorization header copied into
the JSON field a check reads). Every `SecretStr` in the settings counts as a secret: exchange
credentials, target header values, channel tokens and URLs, the LLM key, the web token. The
probe scrubs the decoded body before anything reads, shortens or stores text from it, so no
truncation can leave part of a secret behind.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterable
from typing import Any

import orjson
import pydantic

MIN_SECRET_CHARS = 8  # shorter values would match ordinary text (and JSON syntax)
REDACTED = "[redacted]"


def secret_values(node: Any) -> tuple[str, ...]:
    """Every SecretStr value inside a settings model (nested models, dicts, lists)."""
    found: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, pydantic.SecretStr):
            found.append(item.get_secret_value())
        elif isinstance(item, pydantic.BaseModel):
            stack.extend(getattr(item, name) for name in type(item).model_fields)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return tuple(dict.fromkeys(found))


def _spellings(secret: str) -> set[str]:
    """The secret and its parts ("Bearer <token>"), as text."""
    parts = {secret, *secret.split()}
    return {part for part in parts if len(part) >= MIN_SECRET_CHARS}


def _wire_forms(text: str) -> set[bytes]:
    """How a reflected value may appear in a body: raw, JSON-escaped, percent-encoded."""
    escaped = orjson.dumps(text)[1:-1]
    return {
        text.encode(),
        escaped,
        escaped.replace(b"/", b"\\/"),
        json.dumps(text)[1:-1].encode(),  # non-ASCII escaped as \uXXXX
        urllib.parse.quote(text, safe="").encode(),
    }


class Scrubber:
    """Replaces every configured secret in bodies and texts by `[redacted]`."""

    __slots__ = ("_forms", "_texts")

    def __init__(self, secrets: Iterable[str]) -> None:
        texts = {spelling for secret in secrets for spelling in _spellings(secret)}
        forms = {form for text in texts for form in _wire_forms(text)}
        # Longest first: a secret containing another is removed whole.
        self._texts = tuple(sorted(texts, key=len, reverse=True))
        self._forms = tuple(sorted(forms, key=len, reverse=True))

    def __repr__(self) -> str:
        return f"Scrubber({len(self._texts)} secrets)"

    def body(self, data: bytes) -> bytes:
        for form in self._forms:
            if form in data:
                data = data.replace(form, REDACTED.encode())
        return data

    def text(self, text: str | None) -> str | None:
        if text is None:
            return None
        for secret in self._texts:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text
