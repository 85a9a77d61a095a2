"""Honest accounting: every HTTP call and every token an answer reported, used or not, reach
the budget and /metrics, per model, step and failure reason."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from monitor.live_view import llm_metrics
from monitor.models import Severity
from monitor.triage.service import Triage
from monitor.web.metrics import llm_families
from tests.notify.helpers import event
from tests.triage.fake_llm import Answer, completion, ok
from tests.triage.test_service import pipeline

MEDIUM = {
    "incident_type": "network_latency",
    "severity": "medium",
    "confidence": 0.6,
    "summary": "s",
}


class _Llm:
    def __init__(self, triage: Triage) -> None:
        self._triage = triage

    def collect(self) -> Iterator[Metric]:
        yield from llm_families(llm_metrics(self._triage.budget))


def samples(triage: Triage) -> dict[tuple[str, ...], float]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Llm(triage))
    text = generate_latest(registry).decode()
    return {
        (s.name, *sorted(s.labels.values())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_tokens_equal_the_server_usage_failed_calls_included(
    tmp_path: Path,
) -> None:
    """Fails before: failed steps counted no calls or tokens (llm_calls_total 0)."""
    rambling = Answer(200, completion('{"incident', finish="length", usage=(700, 300)))
    script = (rambling, rambling, ok(MEDIUM))
    async with pipeline(tmp_path, *script, max_concurrency=1) as (notifier, seen, fake):
        await notifier.accept(event())  # classify: two unusable answers, then the rules
        await seen.next()
        await notifier.accept(event(rule="HIGH_LATENCY", venue="kraken", severity=Severity.MEDIUM))
        await seen.next()
        update = await seen.next()  # the second alert's classification: the first is done
        assert notifier.triage is not None
        found = samples(notifier.triage)
    assert update["triage"]["source"] == "llm"
    prefix = "exchange_monitor_llm"
    tokens = {
        kind: found[(f"{prefix}_tokens_total", "cheap", "classify", kind)]
        for kind in ("prompt", "completion")
    }
    assert [tokens["prompt"], tokens["completion"]] == fake.usage_sent == [1520, 630]
    assert found[(f"{prefix}_calls_total", "cheap", "classify")] == len(fake.requests) == 3
    assert found[(f"{prefix}_failures_total", "cheap", "classify", "unusable")] == 1
