"""URL fields for settings models."""

from __future__ import annotations

from typing import Annotated

import pydantic


def _check_url(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return url.rstrip("/")


HttpUrlStr = Annotated[str, pydantic.AfterValidator(_check_url)]


def _check_secret_url(url: pydantic.SecretStr) -> pydantic.SecretStr:
    _check_url(url.get_secret_value())
    return url


SecretUrl = Annotated[pydantic.SecretStr, pydantic.AfterValidator(_check_secret_url)]
