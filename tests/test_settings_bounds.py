"""Every duration and size setting has a finite, sane range; each refusal is one line naming
the variable; `load_settings` reads the mapping it is given."""

from __future__ import annotations

import os
import types
import typing
from collections.abc import Iterator

import annotated_types
import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from monitor.probes.kinds import build_plan
from monitor.settings import ConfigError, Settings, load_settings


def _models(annotation: object) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _models(arg)


def _numeric_fields(model: type[BaseModel], seen: set[type[BaseModel]]) -> Iterator[str]:
    if model in seen:
        return
    seen.add(model)
    for name, field in model.model_fields.items():
        if _is_number(field.annotation):
            yield f"{model.__name__}.{name}"
        for sub in _models(field.annotation):
            yield from _numeric_fields(sub, seen)


def _is_number(annotation: object) -> bool:
    if annotation in (int, float):
        return True
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        return any(_is_number(arg) for arg in typing.get_args(annotation))
    return False


def _upper_bound(field: FieldInfo) -> bool:
    metadata = list(field.metadata)
    for arg in typing.get_args(field.annotation):  # Optional[Annotated[float, Le(...)]]
        metadata += getattr(arg, "__metadata__", ())
    flat = [m for item in metadata for m in getattr(item, "metadata", [item])]
    return any(isinstance(m, annotated_types.Le | annotated_types.Lt) for m in flat)


def test_every_numeric_setting_has_an_upper_bound() -> None:
    unbounded = []
    seen: set[type[BaseModel]] = set()
    for path in _numeric_fields(Settings, seen):
        model_name, name = path.split(".")
        model = next(m for m in seen if m.__name__ == model_name)
        if model.model_fields[name].annotation is not bool and not _upper_bound(
            model.model_fields[name]
        ):
            unbounded.append(path)
    assert len(seen) > 20  # the walk reached the channels, triage and store models
    assert unbounded == []


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"MONITOR_TIMEOUT_S": "inf"}, "timeout_s (MONITOR_TIMEOUT_S): Input should be a finite"),
        ({"MONITOR_TIMEOUT_S": "61"}, "timeout_s (MONITOR_TIMEOUT_S): Input should be less"),
        ({"MONITOR_INTERVAL_S": "inf"}, "interval_s (MONITOR_INTERVAL_S): Input should be a fin"),
        ({"MONITOR_INTERVAL_S": "1e-9"}, "interval_s (MONITOR_INTERVAL_S): Input should be grea"),
        ({"MONITOR_INTERVAL_S": "nan"}, "interval_s (MONITOR_INTERVAL_S): Input should be a fin"),
        ({"MONITOR_EXCHANGES__OKX__TIMEOUT_S": "inf"}, "MONITOR_EXCHANGES__OKX__TIMEOUT_S"),
        ({"MONITOR_DETECT__WINDOW_MAX_AGE_S": "1e12"}, "MONITOR_DETECT__WINDOW_MAX_AGE_S"),
        ({"MONITOR_NOTIFY__RETRY__CAP_S": "inf"}, "MONITOR_NOTIFY__RETRY__CAP_S"),
        ({"MONITOR_NOTIFY__BREAKER__COOLDOWN_S": "-1"}, "MONITOR_NOTIFY__BREAKER__COOLDOWN_S"),
        ({"MONITOR_QUEUE_SIZE": "1000000000000"}, "queue_size (MONITOR_QUEUE_SIZE)"),
        ({"MONITOR_BODY_MAX_BYTES": "10"}, "body_max_bytes (MONITOR_BODY_MAX_BYTES)"),
        ({"MONITOR_STORE__FLUSH_S": "inf"}, "MONITOR_STORE__FLUSH_S"),
        ({"MONITOR_WEB__READY_MAX_LAG_MS": "nan"}, "MONITOR_WEB__READY_MAX_LAG_MS"),
        ({"MONITOR_WEB__TOKEN": ""}, "web.token (MONITOR_WEB__TOKEN): empty; unset the variab"),
        (
            {"MONITOR_WEB__TOKEN": "s3cret"},
            "web.token (MONITOR_WEB__TOKEN): too short: at least 16",
        ),
        ({"MONITOR_WEB__TOKEN": "a b c d e f g h i j"}, "web.token (MONITOR_WEB__TOKEN): only"),
        (
            {"MONITOR_NOTIFY__CHANNELS": '[{"type": "log", "name": "x"'},
            "invalid setting MONITOR_NOTIFY__CHANNELS: not valid JSON (Expecting",
        ),
        ({"MONITOR_TARGETS": "gateway"}, "invalid setting MONITOR_TARGETS: not valid JSON"),
    ],
)
def test_out_of_range_settings_are_refused_in_one_line(
    variables: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(variables)
    text = str(caught.value)
    assert message in text
    assert "\n" not in text
    for value in variables.values():
        assert len(value) < 6 or value not in text  # a (secret) value is never echoed


@pytest.mark.parametrize(
    ("variables", "endpoint"),
    [
        ({"MONITOR_INTERVAL_S": "1"}, "binance.ping: 3 s is longer than its interval_s 1 s"),
        ({"MONITOR_EXCHANGES__OKX__TIMEOUT_S": "10"}, "okx.time: 10 s is longer"),
        (
            {"MONITOR_EXCHANGES__KRAKEN__ENDPOINTS__DEPTH__INTERVAL_S": "2"},
            "kraken.depth: 3 s is longer than its interval_s 2 s",
        ),
    ],
)
def test_a_timeout_longer_than_its_interval_is_refused(
    variables: dict[str, str], endpoint: str
) -> None:
    with pytest.raises(ConfigError, match=f"invalid setting timeout_s for {endpoint}"):
        build_plan(load_settings(variables))


def test_load_settings_reads_the_mapping_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_INTERVAL_S", "7")  # the process environment is not consulted
    assert load_settings({"MONITOR_INTERVAL_S": "8"}).interval_s == 8.0
    assert load_settings({}).interval_s == 5.0
    assert Settings().interval_s == 5.0


def test_no_test_sees_the_developers_environment() -> None:
    assert not [key for key in os.environ if key.upper().startswith("MONITOR_")]
