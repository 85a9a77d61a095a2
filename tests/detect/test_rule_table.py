"""Contract of the rule table: every member complete, everything else derived from it, and a
new rule is one RuleSpec (it fires, is inhibited, triaged, rendered and prompted as is)."""

from __future__ import annotations

import dataclasses
import json
import typing
from pathlib import Path

import pytest

from monitor.detect.rules import Rule
from monitor.detect.ruleset import RULES
from monitor.detect.spec import (
    Incident,
    Mutes,
    OnResult,
    OnTick,
    ResultInput,
    RuleBook,
    RuleSpec,
    Scope,
    Symptom,
    fixed,
    incomplete,
)
from monitor.exchanges import EndpointKind
from monitor.facts import Facts, Shown
from monitor.models import AlertEvent, AlertKind, Outcome, Severity
from monitor.notify.render import measured
from monitor.settings import Settings
from monitor.triage import schema
from monitor.triage.prompts import incident_data
from monitor.triage.rules import classify
from tests.detect.helpers import HealthyModel, drain, make_detector
from tests.fakes import FakeClock

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "monitor" / "notify" / "schema" / "webhook-v1.json").read_text()
)
_ALERT = SCHEMA["properties"]["alerts"]["items"]["properties"]


def test_every_built_in_rule_has_one_complete_spec() -> None:
    assert {s.name for s in RULES} == set(Rule)
    for spec in RULES:
        assert incomplete(spec) == [], spec.name


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"name": ""}, "name"),
        ({"incident": Incident.UNKNOWN}, "incident type"),
        ({"shows": ()}, "shows no facts"),
        ({"doc": ""}, "no doc"),
        ({"evaluate": None}, "no evaluate function"),
        ({"scope": "endpoint"}, "no scope"),
        ({"severity": lambda _: "high"}, "severity"),
        ({"evaluate": OnTick(lambda _: None)}, "scope must be GLOBAL"),
    ],
)
def test_an_incomplete_member_is_refused(change: dict[str, typing.Any], problem: str) -> None:
    broken = dataclasses.replace(RULES[Rule.ERROR_RATE], **{"name": "BROKEN", **change})
    assert any(problem in p for p in incomplete(broken))
    with pytest.raises(ValueError, match="incomplete"):
        RuleBook([broken])


def test_inhibition_derives_to_the_former_hand_written_table() -> None:
    failures = {
        Rule.CONSECUTIVE_FAILURES,
        Rule.EXCHANGE_ERROR,
        Rule.BAD_PAYLOAD,
        Rule.ERROR_RATE,
        Rule.STALE_DATA,
        Rule.HIGH_LATENCY,
        Rule.LATENCY_SPIKE,
        Rule.SYMBOL_HALTED,
    }
    assert RULES.inhibits() == {
        Rule.LOCAL_NETWORK: frozenset(set(Rule) - {Rule.LOCAL_NETWORK, Rule.MONITOR_DEGRADED}),
        Rule.MAINTENANCE: frozenset(failures | {Rule.EXCHANGE_DOWN}),
        Rule.ACCESS_DENIED: frozenset(failures | {Rule.EXCHANGE_DOWN}),
        Rule.MAINTENANCE_SCHEDULED: frozenset(failures | {Rule.EXCHANGE_DOWN}),  # in its window
        Rule.EXCHANGE_DOWN: frozenset(failures),
        Rule.CONSECUTIVE_FAILURES: frozenset({Rule.ERROR_RATE}),
        Rule.EXCHANGE_ERROR: frozenset({Rule.ERROR_RATE}),
        Rule.BAD_PAYLOAD: frozenset({Rule.ERROR_RATE}),
        Rule.RATE_LIMITED: frozenset({Rule.RATE_LIMIT_BUDGET}),
    }


@pytest.mark.parametrize("kind", list(EndpointKind))
def test_inhibitors_are_evaluated_before_what_they_mute(kind: EndpointKind) -> None:
    order = [s.name for s in RULES.for_endpoint(kind)]
    for source, targets in RULES.inhibits().items():
        for target in targets & set(order):
            if source in order:
                assert order.index(source) < order.index(target), (source, target)


def test_incident_types_agree_with_the_llm_schema_and_the_webhook_schema() -> None:
    llm = set(typing.get_args(schema.IncidentType))
    webhook = set(_ALERT["triage"]["properties"]["incident_type"]["enum"])
    assert {i.value for i in Incident} == llm == webhook


def test_webhook_schema_types_every_fact() -> None:
    facts = _ALERT["evidence"]["properties"]["facts"]
    assert set(facts["properties"]) == {f.name for f in dataclasses.fields(Facts)}
    assert facts.get("additionalProperties", True) is True  # older receivers' payloads stay valid


def test_shown_fact_must_exist() -> None:
    with pytest.raises(ValueError, match="no field"):
        Shown("latency_p95", "p95 {}")


# A new rule, as one RuleSpec: a market endpoint answering 200 with an empty body.


def _empty_body(seen: ResultInput) -> Symptom | None:
    last = seen.endpoint.last
    if last is None or not last.outcome.is_success or last.body_bytes:
        return None
    return Symptom("answered 200 with an empty body", Facts(status=last.status))


EMPTY_BODY = RuleSpec(
    "EMPTY_BODY",
    Scope.ENDPOINT,
    OnResult(_empty_body, kinds=frozenset({EndpointKind.MARKET})),
    fixed(Severity.HIGH),
    Incident.DATA_ANOMALY,
    (Shown("status", "HTTP {}"),),
    Mutes(),
    "a market endpoint answering without data",
)


def _run_with(book: RuleBook, fake_clock: FakeClock) -> list[AlertEvent]:
    detector, alerts, probes = make_detector(
        fake_clock, Settings(interval_s=1.0, timeout_s=1.0), book
    )
    model = HealthyModel(fake_clock)
    for _ in range(3):
        for p in probes:
            fake_clock.shift(0.05)
            extra: dict[str, typing.Any] = {"body_bytes": 100}
            if p.endpoint_id in ("okx.ticker", "kraken.depth"):
                extra["body_bytes"] = 0
            if p.endpoint_id == "kraken.status":  # kraken is in maintenance: it mutes kraken's
                extra["venue_status"] = "maintenance"
            detector.ingest(model.result(p, Outcome.OK, **extra))
        detector.tick()
    return drain(alerts)


def test_a_new_rule_is_one_rulespec(fake_clock: FakeClock) -> None:
    book = RULES.extended(EMPTY_BODY)
    events = _run_with(book, fake_clock)
    fired = [e.fingerprint for e in events if e.kind is AlertKind.FIRING]
    assert fired == ["EMPTY_BODY/okx/ticker", "MAINTENANCE/kraken"]  # kraken's one is muted
    event = next(e for e in events if e.rule == "EMPTY_BODY")
    assert event.severity is Severity.HIGH
    assert book.inhibits()[Rule.MAINTENANCE] >= {"EMPTY_BODY"}
    triage = classify(event, book)
    assert (triage.incident_type, triage.confidence) == ("data_anomaly", 1.0)
    assert measured(event, book) == "HTTP 200"
    assert incident_data(event, {}, book)["facts"]["status"] == 200
    assert classify(event).incident_type == "unknown"  # the built-in table does not know it


def test_without_the_new_rule_nothing_fires_for_empty_bodies(fake_clock: FakeClock) -> None:
    events = _run_with(RULES, fake_clock)
    assert [e.fingerprint for e in events] == ["MAINTENANCE/kraken"]
