"""Pointing a monitor's settings at simulated venues."""

from __future__ import annotations

from monitor.settings import Settings

SIM_BUDGET_PER_MIN = 1_000_000  # the simulator enforces no budget


def point_at_sim(settings: Settings, urls: dict[str, str]) -> Settings:
    """Every venue in `urls` probed at its simulated base URL, and only those venues."""
    tables = {
        venue: settings.exchange(venue).model_copy(
            update={"base_url": url, "budget_per_min": SIM_BUDGET_PER_MIN}
        )
        for venue, url in urls.items()
    }
    return settings.model_copy(update={"exchanges": tables, "enabled_exchanges": list(urls)})
