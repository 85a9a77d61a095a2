"""Judging one chat-completions answer: pure. Decides success, retry, downgrade or give up,
by the triage retry rules."""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Mapping
from typing import Any

import orjson
import pydantic

from monitor.escape import clean
from monitor.retry import parse_retry_after, retryable_status
from monitor.triage.providers import Mode

_QUOTA = re.compile(r"insufficient_quota|billing|quota exceeded|credit", re.I)
_TOO_LARGE = re.compile(r"request too large|too many tokens|context_length", re.I)
# A server saying it cannot do the structured-output mode asked for (DeepSeek's "This
# response_format type is unavailable now", llama-cpp-python's "Input should be 'text' or
# 'json_object'", a grammar the schema could not become): the next mode may work.
_FORMAT = re.compile(r"response_format|json_schema|json_object|unavailable now|grammar", re.I)
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


class Kind(enum.Enum):
    OK = "ok"
    RETRY = "retry"  # transient: retry after the delay
    UNUSABLE = "unusable"  # a 200 we cannot use: one retry, then the fallback
    DOWNGRADE = "downgrade"  # the structured-output mode was rejected
    FINAL = "final"  # never retried


@dataclasses.dataclass(frozen=True, slots=True)
class Verdict:
    kind: Kind
    reason: str
    retry_after_s: float | None = None
    value: Any = None  # the validated model output
    usage: tuple[int, int] = (0, 0)  # prompt, completion tokens
    mode: Mode = Mode.PLAIN  # the structured-output mode a DOWNGRADE rejects


_CODES = (  # reason prefix -> bounded failure code (a metrics label)
    ("HTTP 429: quota", "quota"),
    ("HTTP 429", "http_429"),
    ("HTTP 3", "redirect"),
    ("HTTP 4", "http_4xx"),
    ("HTTP 5", "http_5xx"),
    ("deadline", "deadline"),
    ("transport", "transport"),
    ("refused", "refused"),
)


def failure_code(reason: str) -> str:
    """The bounded code of a failed step's last reason; what is left is an unusable answer."""
    return next((code for prefix, code in _CODES if reason.startswith(prefix)), "unusable")


def usage_of(body: Any) -> tuple[int, int]:
    """Prompt and completion tokens an answer reports (0, 0 without usage)."""
    usage = body.get("usage") if isinstance(body, dict) else None
    if not isinstance(usage, dict):
        return 0, 0
    try:
        return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
    except (TypeError, ValueError):
        return 0, 0


def retry_after(headers: Mapping[str, str], now_s: float) -> float | None:
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            return max(float(ms) / 1000, 0.0)
        except ValueError:
            pass
    return parse_retry_after(headers.get("retry-after"), now_s)


def _error_text(body: Any) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    return orjson.dumps(error).decode() if error is not None else ""


def judge_status(
    status: int, headers: Mapping[str, str], raw: bytes, mode: Mode, now_s: float
) -> Verdict:
    """A non-200 answer."""
    if 300 <= status < 400:  # only seen when redirects are not followed
        return Verdict(Kind.FINAL, f"HTTP {status}: redirect refused")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        body = {}
    text = _error_text(body) or raw[:300].decode(errors="replace")
    if mode is not Mode.PLAIN and status in (400, 422, 500) and _FORMAT.search(text):
        reason = f"HTTP {status}: structured output rejected ({clean(text, 120)})"
        return Verdict(Kind.DOWNGRADE, reason, mode=mode)
    if status == 429 and (_QUOTA.search(text) or _TOO_LARGE.search(text)):
        return Verdict(Kind.FINAL, "HTTP 429: quota or request size")
    if retryable_status(status):
        return Verdict(Kind.RETRY, f"HTTP {status}", retry_after(headers, now_s))
    return Verdict(Kind.FINAL, f"HTTP {status}")


def judge_ok(raw: bytes, schema: type[pydantic.BaseModel]) -> Verdict:
    """A 200 answer: usable only if it holds a valid object of `schema`."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return Verdict(Kind.UNUSABLE, "invalid JSON envelope")
    tokens = usage_of(body)
    if not isinstance(body, dict) or "error" in body:
        return Verdict(Kind.UNUSABLE, "error in a 200 answer", usage=tokens)
    try:
        choice = body["choices"][0]
        message = choice["message"]
    except (KeyError, IndexError, TypeError):
        return Verdict(Kind.UNUSABLE, "no choices", usage=tokens)
    finish = choice.get("finish_reason")
    if finish == "content_filter" or message.get("refusal"):
        return Verdict(Kind.FINAL, "refused or filtered", usage=tokens)
    if finish == "length":
        return Verdict(Kind.UNUSABLE, "cut at max tokens", usage=tokens)
    content = message.get("content")
    if not isinstance(content, str) or not content.strip():
        return Verdict(Kind.UNUSABLE, "blank content", usage=tokens)
    try:
        value = schema.model_validate_json(_FENCE.sub("", content.strip()))
    except pydantic.ValidationError:
        return Verdict(Kind.UNUSABLE, "content does not match the schema", usage=tokens)
    return Verdict(Kind.OK, "ok", value=value, usage=tokens)
