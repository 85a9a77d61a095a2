"""Venue knowledge. `EXCHANGES` is the registry that settings refer to by name: adding a venue
is one module (profile, rules, signer) with its simulator wire beside it, plus its line here.
tests/exchanges/test_contract.py checks that every member is complete."""

from monitor.exchanges.base import (
    Endpoint,
    EndpointKind,
    ExchangeProfile,
    Interpretation,
    SignedAccess,
)
from monitor.exchanges.binance import BINANCE
from monitor.exchanges.bybit import BYBIT
from monitor.exchanges.coinbase import COINBASE
from monitor.exchanges.kraken import KRAKEN
from monitor.exchanges.okx import OKX

EXCHANGES: dict[str, ExchangeProfile] = {p.name: p for p in (BINANCE, OKX, BYBIT, COINBASE, KRAKEN)}

__all__ = [
    "EXCHANGES",
    "Endpoint",
    "EndpointKind",
    "ExchangeProfile",
    "Interpretation",
    "SignedAccess",
]
