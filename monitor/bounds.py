"""Bounded numbers for settings. Every duration and size a user can set has a finite, sane
range, so that `inf`, `nan`, `1e-9` or three zeros too many are refused at start-up in one
line naming the setting (`settings.load_settings`), instead of a probe that never times out.
A field with a tighter meaning (a probe's timeout, a port) states its own range."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MINUTE_S = 60.0
HOUR_S = 3600.0
DAY_S = 86400.0
MAX_PROBE_TIMEOUT_S = 60.0  # a probe that waits longer than this is not measuring latency

Seconds = Annotated[
    float, Field(gt=0, le=DAY_S, allow_inf_nan=False)
]  # waits, windows, ticks, cool-downs
NonNegativeSeconds = Annotated[float, Field(ge=0, le=7 * DAY_S, allow_inf_nan=False)]
Milliseconds = Annotated[float, Field(gt=0, le=HOUR_S * 1000, allow_inf_nan=False)]
NonNegativeMilliseconds = Annotated[float, Field(ge=0, le=HOUR_S * 1000, allow_inf_nan=False)]
# samples, attempts, sizes of queues
Count = Annotated[int, Field(ge=1, le=1_000_000)]
Fraction = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
Dollars = Annotated[
    float, Field(ge=0, le=1_000_000, allow_inf_nan=False)
]  # prices and budgets, USD

IntervalS = Annotated[
    float, Field(ge=0.1, le=DAY_S, allow_inf_nan=False)
]  # between two probes of one endpoint
ProbeTimeoutS = Annotated[float, Field(ge=0.01, le=MAX_PROBE_TIMEOUT_S, allow_inf_nan=False)]
RequestTimeoutS = Annotated[
    float, Field(ge=0.01, le=300, allow_inf_nan=False)
]  # a channel's or exporter's request
Port = Annotated[int, Field(ge=0, le=65535)]
