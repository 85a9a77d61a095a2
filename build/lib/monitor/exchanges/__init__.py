"""Venue knowledge. `EXCHANGES` is the registry that settings refer to by name."""

from monitor.exchanges.base import Endpoint, EndpointKind, ExchangeProfile, Interpretation
from monitor.exchanges.binance import BINANCE
from monitor.exchanges.bybit import BYBIT
from monitor.exchanges.coinbase import COINBASE
from monitor.exchanges.kraken import KRAKEN
from monitor.exchanges.okx import OKX

EXCHANGES: dict[str, ExchangeProfile] = {p.name: p for p in (BINANCE, OKX, BYBIT, COINBASE, KRAKEN)}

__all__ = ["EXCHANGES", "Endpoint", "EndpointKind", "ExchangeProfile", "Interpretation"]
