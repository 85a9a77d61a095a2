"""A model's answer is a guess: it may raise a severity one level when confident, never lower
it, never page on a low-confidence "critical", never replace a type the rules are sure of."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from monitor.models import Severity
from monitor.triage.guard import guarded_severity
from monitor.triage.schema import Classification
from tests.notify.helpers import event
from tests.triage.fake_llm import ANALYSIS, ok
from tests.triage.test_service import pipeline


def answer(severity: str, confidence: float, incident_type: str = "clock_drift") -> dict[str, Any]:
    return {
        "incident_type": incident_type,
        "severity": severity,
        "confidence": confidence,
        "summary": "forged",
    }


async def follow_up(tmp_path: Path, forged: dict[str, Any], **alert: Any) -> dict[str, Any]:
    async with pipeline(tmp_path, ok(forged), ok(ANALYSIS)) as (notifier, seen, _):
        await notifier.accept(event(**alert))
        await seen.next()
        return await seen.next()


async def test_forged_low_confidence_critical_does_not_raise(tmp_path: Path) -> None:
    """Fails before: 0.3 confidence raised a medium CLOCK_DRIFT to critical."""
    update = await follow_up(
        tmp_path, answer("critical", 0.3), rule="CLOCK_DRIFT", severity=Severity.MEDIUM
    )
    assert update["kind"] == "updated" and update["severity"] == "medium"
    assert update["previous_severity"] is None
    assert update["triage"]["severity"] == "medium"
    assert update["triage"]["model_opinion"]["severity"] == "critical"


async def test_forged_low_does_not_lower(tmp_path: Path) -> None:
    update = await follow_up(
        tmp_path, answer("low", 1.0), rule="CLOCK_DRIFT", severity=Severity.MEDIUM
    )
    assert update["severity"] == "medium" and update["triage"]["severity"] == "medium"


async def test_a_confident_raise_is_one_level_with_previous_severity(tmp_path: Path) -> None:
    """Fails before: straight to critical, previous_severity null."""
    update = await follow_up(
        tmp_path, answer("critical", 0.95), rule="CLOCK_DRIFT", severity=Severity.MEDIUM
    )
    assert update["kind"] == "updated"
    assert (update["severity"], update["previous_severity"]) == ("high", "medium")


async def test_the_rules_certain_type_stays_and_the_model_opinion_rides_along(
    tmp_path: Path,
) -> None:
    """Fails before: a refused connection (rules: outage, 1.0) became network_latency."""
    update = await follow_up(tmp_path, answer("critical", 0.9, "network_latency"))
    triage = update["triage"]
    assert (triage["source"], triage["incident_type"], triage["confidence"]) == (
        "llm",
        "outage",
        1.0,
    )
    assert triage["model_opinion"] == {
        "incident_type": "network_latency",
        "severity": "critical",
        "confidence": 0.9,
    }


@pytest.mark.parametrize(
    ("floor", "asked", "confidence", "result"),
    [
        (Severity.LOW, Severity.CRITICAL, 0.99, Severity.MEDIUM),
        (Severity.MEDIUM, Severity.CRITICAL, 0.8, Severity.HIGH),
        (Severity.HIGH, Severity.CRITICAL, 0.8, Severity.CRITICAL),
        (Severity.HIGH, Severity.CRITICAL, 0.79, Severity.HIGH),
        (Severity.CRITICAL, Severity.LOW, 1.0, Severity.CRITICAL),
    ],
)
def test_guarded_severity(
    floor: Severity, asked: Severity, confidence: float, result: Severity
) -> None:
    found = Classification(
        incident_type="outage", severity=asked, confidence=confidence, summary="s"
    )
    assert guarded_severity(floor, found, 0.8) is result
