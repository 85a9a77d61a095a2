"""Provider profiles: each server family's structured-output modes (best first), the
token-limit field, whether temperature is sent, and its switch to turn "thinking" off."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

import orjson


class Mode(enum.Enum):
    """How the answer's JSON Schema reaches the server."""

    JSON_SCHEMA = "json_schema"  # response_format json_schema, strict (OpenAI, vLLM)
    JSON_OBJECT_SCHEMA = "json_object+schema"  # {"type":"json_object","schema":...} (llama.cpp)
    FORMAT = "format"  # Ollama: "format": <schema>
    JSON_OBJECT = "json_object"  # response_format json_object, the schema in the prompt
    PLAIN = "plain"  # the schema in the prompt only

    @property
    def schema_in_prompt(self) -> bool:
        return self in (Mode.JSON_OBJECT, Mode.PLAIN)


def structured_output(mode: Mode, name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """The request fields that ask for `schema` in `mode`."""
    if mode is Mode.JSON_SCHEMA:
        named = {"name": name, "strict": True, "schema": schema}
        return {"response_format": {"type": "json_schema", "json_schema": named}}
    if mode is Mode.JSON_OBJECT_SCHEMA:
        return {"response_format": {"type": "json_object", "schema": schema}}
    if mode is Mode.FORMAT:
        return {"format": schema}
    if mode is Mode.JSON_OBJECT:
        return {"response_format": {"type": "json_object"}}
    return {}


def schema_hint(schema: dict[str, Any]) -> str:
    return "\nReply with JSON only, matching this JSON Schema:\n" + orjson.dumps(schema).decode()


@dataclasses.dataclass(frozen=True, slots=True)
class ProviderProfile:
    name: str
    modes: tuple[Mode, ...]  # best first; a server that rejects one gets the next
    max_tokens_field: str
    send_temperature: bool = True
    extra_body: dict[str, Any] = dataclasses.field(default_factory=dict)

    def after(self, mode: Mode) -> Mode:
        """The next mode down the ladder (the last one stays)."""
        index = self.modes.index(mode) if mode in self.modes else 0
        return self.modes[min(index + 1, len(self.modes) - 1)]


_NO_THINKING = {"chat_template_kwargs": {"enable_thinking": False}}
_FALLBACK = (Mode.JSON_OBJECT, Mode.PLAIN)

PROVIDERS = {
    p.name: p
    for p in (
        ProviderProfile("openai", (Mode.JSON_SCHEMA, *_FALLBACK), "max_completion_tokens"),
        # DeepSeek rejects json_schema ("This response_format type is unavailable now").
        ProviderProfile(
            "deepseek", _FALLBACK, "max_tokens", extra_body={"thinking": {"type": "disabled"}}
        ),
        # llama.cpp's server and llama-cpp-python take the schema inside json_object
        # (llama-cpp-python answers json_schema with HTTP 500 "Input should be 'text' or
        # 'json_object'").
        ProviderProfile(
            "llamacpp", (Mode.JSON_OBJECT_SCHEMA, *_FALLBACK), "max_tokens", extra_body=_NO_THINKING
        ),
        ProviderProfile(
            "ollama", (Mode.FORMAT, *_FALLBACK), "max_tokens", extra_body={"think": False}
        ),
        ProviderProfile(
            "vllm", (Mode.JSON_SCHEMA, *_FALLBACK), "max_tokens", extra_body=_NO_THINKING
        ),
        # Unknown server: the standard first, then llama.cpp's form, then the prompt alone.
        ProviderProfile(
            "generic", (Mode.JSON_SCHEMA, Mode.JSON_OBJECT_SCHEMA, *_FALLBACK), "max_tokens"
        ),
    )
}
