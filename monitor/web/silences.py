"""Silences over the API: a request is validated against the model (a matcher or an explicit
`all`, `ends_at` after `starts_at`), the rule names and the clock (`ends_at` in the future, no
longer than `web.silence_max_s`) before it can mute anything."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pydantic

from monitor.detect.rules import Rule
from monitor.detect.silences import Silence
from monitor.detect.thresholds import SilenceSettings
from monitor.web.params import BadRequest

RULES = frozenset(rule.value for rule in Rule)


def _first_error(exc: pydantic.ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(map(str, first["loc"]))
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def parse_silence(body: bytes, now_s: float, max_s: float) -> Silence:
    """The silence that `body` asks for (the view gives it its id); BadRequest says why not."""
    try:
        spec = SilenceSettings.model_validate_json(body)
    except pydantic.ValidationError as exc:
        raise BadRequest(_first_error(exc)) from None
    if spec.rule is not None and spec.rule not in RULES:
        raise BadRequest(f"rule: unknown rule {spec.rule!r}; known: {', '.join(sorted(RULES))}")
    silence = Silence.from_settings(spec)
    if silence.ends_at_s <= now_s:
        raise BadRequest("ends_at: already past")
    if silence.ends_at_s - max(silence.starts_at_s or now_s, now_s) > max_s:
        raise BadRequest(f"ends_at: a silence lasts at most {max_s:g} s (web.silence_max_s)")
    return silence


def _iso(at_s: float | None) -> str | None:
    return None if at_s is None else dt.datetime.fromtimestamp(at_s, dt.UTC).isoformat()


def silence_json(silence: Silence) -> dict[str, Any]:
    matchers = {"rule": silence.rule, "venue": silence.venue, "endpoint": silence.endpoint}
    return {
        "id": silence.id,
        **matchers,
        "all": all(v is None for v in matchers.values()),
        "starts_at": _iso(silence.starts_at_s),
        "ends_at": _iso(silence.ends_at_s),
        "comment": silence.comment,
    }
