"""The web server's settings (MONITOR_WEB__*)."""

from __future__ import annotations

import re
from typing import Annotated

import pydantic
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from monitor.bounds import DAY_S, Milliseconds, Port

MIN_TOKEN_CHARS = 16
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9._~+/-]+=*")  # RFC 6750 b64token: fits a Bearer header


class WebSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    host: str = "127.0.0.1"
    port: Port = 9464
    token: SecretStr | None = None
    ready_max_lag_ms: Milliseconds = 250.0
    silence_max_s: Annotated[float, Field(gt=0, le=365 * DAY_S, allow_inf_nan=False)] = 30 * DAY_S

    @pydantic.field_validator("token")
    @classmethod
    def _strong_token(cls, token: SecretStr | None) -> SecretStr | None:
        """An empty token must not mean "no token": that would leave the API open."""
        if token is None:
            return None
        value = token.get_secret_value()
        if not value:
            raise ValueError("empty; unset the variable for no token, or give a real one")
        if len(value) < MIN_TOKEN_CHARS:
            raise ValueError(f"too short: at least {MIN_TOKEN_CHARS} characters")
        if not _TOKEN_CHARS.fullmatch(value):
            raise ValueError("only letters, digits and -._~+/ (then =) fit a Bearer header")
        return token
