"""Pointing a monitor's settings at simulated venues."""

from __future__ import annotations

from pydantic import SecretStr

from monitor.exchanges.sim_wire import SimKeys
from monitor.settings import Credentials, Settings

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


def sim_credentials(
    keys: SimKeys, venue: str, url: str, *, scheme: str = "hmac", use_server_time: bool = True
) -> Credentials:
    """Credentials that the simulated `venue` (at `url`) accepts."""
    if scheme == "jwt":
        return Credentials(
            api_key=SecretStr(keys.jwt_key_name),
            api_secret=SecretStr(keys.ec_private_pem),
            scheme="jwt",
            base_url=url,
            use_server_time=use_server_time,
        )
    return Credentials(
        api_key=SecretStr(keys.key),
        api_secret=SecretStr(keys.secret),
        passphrase=SecretStr(keys.passphrase),
        use_server_time=use_server_time,
    )


def with_credentials(settings: Settings, credentials: dict[str, Credentials]) -> Settings:
    tables = {
        venue: settings.exchange(venue).model_copy(update={"credentials": creds})
        for venue, creds in credentials.items()
    }
    return settings.model_copy(update={"exchanges": {**settings.exchanges, **tables}})
