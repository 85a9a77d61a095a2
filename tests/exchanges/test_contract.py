"""The contract over the `EXCHANGES` registry: every member is complete."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.exchanges import EXCHANGES
from tests.exchanges import contract

FIXTURES = Path(__file__).parent.parent / "fixtures" / "exchanges"


@pytest.mark.parametrize("venue", EXCHANGES)
def test_every_registered_exchange_is_complete(venue: str) -> None:
    profile = EXCHANGES[venue]
    assert profile.name == venue
    assert contract.problems(profile) == []


@pytest.mark.parametrize("venue", EXCHANGES)
def test_every_registered_exchange_has_recorded_fixtures(venue: str) -> None:
    assert sorted((FIXTURES / venue).glob("*.json")), f"tests/fixtures/exchanges/{venue}/"
