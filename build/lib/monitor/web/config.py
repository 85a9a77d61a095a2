"""The web server's settings (MONITOR_WEB__*)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class WebSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=9464, ge=0, le=65535)
    token: SecretStr | None = None
    ready_max_lag_ms: float = Field(default=250.0, gt=0)
