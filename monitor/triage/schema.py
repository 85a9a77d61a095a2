"""What the models must answer, validated with pydantic (model output is untrusted)."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from monitor.models import Severity

IncidentType = Literal[
    "network_latency",
    "outage",
    "rate_limit",
    "data_anomaly",
    "clock_drift",
    "auth",
    "maintenance",
    "local_network",
    "access_denied",
    "unknown",
]

_SHORT = 300


def _clamp_unit(value: Any) -> Any:
    """A number outside 0..1 is clamped (a model's 1.2 means "very"); anything else is left for
    validation to refuse."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return min(max(float(value), 0.0), 1.0)
    return value


Unit = Annotated[float, BeforeValidator(_clamp_unit), Field(ge=0, le=1)]


class Classification(BaseModel):
    model_config = ConfigDict(extra="forbid")

    incident_type: IncidentType
    severity: Severity
    confidence: Unit
    summary: str = Field(max_length=_SHORT)


class RootCause(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cause: str = Field(max_length=_SHORT)
    likelihood: Unit
    supporting_measurements: list[str] = Field(max_length=5)


class ActionPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    immediate_actions: list[str] = Field(max_length=8)
    communication_plan: str = Field(max_length=_SHORT)
    escalation_criteria: str = Field(max_length=_SHORT)
    estimated_resolution_time: str = Field(max_length=100)
    post_incident_actions: list[str] = Field(max_length=8)


class Analysis(BaseModel):
    """Deep analysis: measured facts kept apart from hypotheses."""

    model_config = ConfigDict(extra="forbid")

    measured: list[str] = Field(max_length=10)
    hypotheses: list[str] = Field(max_length=10)
    root_causes: list[RootCause] = Field(max_length=3)
    immediate_actions: list[str] = Field(max_length=8)
    prevention: list[str] = Field(max_length=8)
    notify: list[str] = Field(max_length=8)
    action_plan: ActionPlan
