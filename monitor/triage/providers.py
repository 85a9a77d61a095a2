"""Provider profiles: which structured-output mode to try first, the token-limit field,
whether temperature is sent, and each server's switch to turn "thinking" off."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any


class Mode(enum.IntEnum):
    """Structured-output modes, strongest first; a rejected mode downgrades to the next."""

    JSON_SCHEMA = 0  # response_format json_schema, strict
    JSON_OBJECT = 1  # response_format json_object, the schema in the prompt
    PLAIN = 2  # the schema in the prompt only


@dataclasses.dataclass(frozen=True, slots=True)
class ProviderProfile:
    name: str
    first_mode: Mode
    max_tokens_field: str
    send_temperature: bool
    extra_body: dict[str, Any] = dataclasses.field(default_factory=dict)


PROVIDERS = {
    p.name: p
    for p in (
        ProviderProfile("openai", Mode.JSON_SCHEMA, "max_completion_tokens", True),
        # DeepSeek rejects json_schema ("This response_format type is unavailable now").
        ProviderProfile(
            "deepseek", Mode.JSON_OBJECT, "max_tokens", True, {"thinking": {"type": "disabled"}}
        ),
        # llama.cpp's server answers json_schema it cannot handle with HTTP 500.
        ProviderProfile(
            "llamacpp",
            Mode.JSON_SCHEMA,
            "max_tokens",
            True,
            {"chat_template_kwargs": {"enable_thinking": False}},
        ),
        ProviderProfile("ollama", Mode.JSON_SCHEMA, "max_tokens", True, {"think": False}),
        ProviderProfile(
            "vllm",
            Mode.JSON_SCHEMA,
            "max_tokens",
            True,
            {"chat_template_kwargs": {"enable_thinking": False}},
        ),
        ProviderProfile("generic", Mode.JSON_SCHEMA, "max_tokens", True),
    )
}
