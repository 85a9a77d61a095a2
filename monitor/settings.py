"""All configuration: environment (prefix MONITOR_, nesting with "__") over an optional TOML
file named by MONITOR_CONFIG. Read once in `__main__`, then passed down.

`load_settings(environ)` reads the mapping it is given (`__main__` passes `os.environ`);
`Settings(...)` built directly sees no environment at all. Both raise on an invalid value;
`load_settings()` raises `ConfigError` carrying one line that names the field and the problem.
"""

from __future__ import annotations

import socket
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from monitor.bounds import Count, IntervalS, ProbeTimeoutS, Seconds
from monitor.detect.thresholds import DetectSettings, ThresholdOverrides, Thresholds
from monitor.exchanges import EXCHANGES
from monitor.models import Origin
from monitor.notify import ChannelSettings
from monitor.notify.log import LogSpec
from monitor.retry import DAY_S, BreakerSettings, RetrySettings
from monitor.store.history import StoreSettings
from monitor.triage.service import TriageSettings
from monitor.urls import HttpUrlStr
from monitor.web.config import WebSettings

ENV_PREFIX = "MONITOR_"
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
ORIGIN_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$"  # a host name fits
CONTROL_VENUE = "monitor"  # the control target's results, like global alerts, carry this venue


def _port_in_range(target: str) -> str:
    if not 1 <= int(target.rpartition(":")[2]) <= 65535:
        raise ValueError("port must be 1-65535")
    return target


# "host:port" (an IPv4 address or a host name) of the control target's TCP connect.
HostPort = Annotated[
    str,
    Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}:[0-9]{1,5}$"),
    pydantic.AfterValidator(_port_in_range),
]
OriginName = Annotated[str, Field(pattern=ORIGIN_PATTERN)]


class ConfigError(Exception):
    """Invalid configuration; `str()` is the one line shown to the user."""


# The mapping `load_settings` was given, for the duration of one Settings() call.
_ENVIRON: ContextVar[Mapping[str, str]] = ContextVar("monitor_environ")


class EnvironSource(EnvSettingsSource):
    """The environment given to `load_settings` (never `os.environ` behind its back). A value
    that does not parse is reported with the variable that holds it."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {key.lower(): value for key, value in _ENVIRON.get({}).items()}

    def prepare_field_value(
        self, field_name: str, field: FieldInfo, value: Any, value_is_complex: bool
    ) -> Any:
        try:
            return super().prepare_field_value(field_name, field, value, value_is_complex)
        except ValueError as exc:
            name = self._culprit(field_name, field)
            raise ConfigError(f"invalid setting {name}: not valid JSON ({exc})") from None

    def _culprit(self, field_name: str, field: FieldInfo) -> str:
        own = (ENV_PREFIX + field_name).lower()
        for name, value in self.env_vars.items():
            if name.startswith(own + "__"):
                try:
                    self.explode_env_vars(field_name, field, {name: value})
                except ValueError:
                    return name.upper()
        return own.upper()


class ProbeOptions(BaseModel):
    """Overrides shared by exchanges, their endpoints and generic targets; None = inherit."""

    model_config = ConfigDict(extra="forbid")

    interval_s: IntervalS | None = None
    timeout_s: ProbeTimeoutS | None = None
    fresh_connection: bool | None = None


class EndpointSettings(ProbeOptions):
    enabled: bool = True
    rules: ThresholdOverrides = Field(default_factory=ThresholdOverrides)


def _secret_from(value: SecretStr | None, path: Path | None, name: str) -> SecretStr | None:
    if value is not None and path is not None:
        raise ValueError(f"give {name} or {name}_file, not both")
    if path is None:
        return value
    try:
        return SecretStr(path.read_text().strip())
    except OSError as exc:
        raise ValueError(f"cannot read {name}_file: {exc.strerror}") from None


class Credentials(BaseModel):
    """A read-only API key for the venue's signed probe. From the environment or from secret
    files (`*_file`, e.g. Docker secrets) only: never from the TOML config file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_key: SecretStr | None = None
    api_key_file: Path | None = None
    api_secret: SecretStr | None = None  # Coinbase Advanced Trade: the EC private key (PEM)
    api_secret_file: Path | None = None
    passphrase: SecretStr | None = None  # OKX, Coinbase Exchange
    passphrase_file: Path | None = None
    scheme: Literal["hmac", "jwt"] = "hmac"  # jwt: Coinbase Advanced Trade (CDP) keys
    base_url: HttpUrlStr | None = None  # the signed endpoint's host, when not the venue's
    interval_s: IntervalS = 60.0
    timeout_s: ProbeTimeoutS | None = None
    recv_window_ms: Annotated[int, Field(ge=1, le=60_000)] = 5000  # Binance, Bybit
    use_server_time: bool = True  # sign with our clock corrected by the measured offset

    @pydantic.model_validator(mode="after")
    def _resolve_files(self) -> Credentials:
        for name in ("api_key", "api_secret", "passphrase"):
            value = _secret_from(getattr(self, name), getattr(self, f"{name}_file"), name)
            object.__setattr__(self, name, value)
        if self.api_key is None or self.api_secret is None:
            raise ValueError("api_key and api_secret are both required")
        return self


def _split_names(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


SymbolName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")]


class ExchangeSettings(ProbeOptions):
    base_url: HttpUrlStr | None = None
    credentials: Credentials | None = None
    budget_per_min: Count | None = None
    endpoints: dict[str, EndpointSettings] = Field(default_factory=dict)
    rules: ThresholdOverrides = Field(default_factory=ThresholdOverrides)
    # symbols whose trading status is watched (SYMBOL_HALTED), in the venue's own spelling
    symbols: Annotated[list[SymbolName], NoDecode, pydantic.BeforeValidator(_split_names)] = Field(
        default_factory=list
    )
    symbols_interval_s: IntervalS = 60.0


class TargetSettings(ProbeOptions):
    """A generic HTTP endpoint, probed like an exchange endpoint (Gatus-style checks)."""

    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    url: HttpUrlStr
    method: Literal["GET", "HEAD", "POST"] = "GET"
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    body: str | None = None
    expect_status: list[Annotated[int, Field(ge=100, le=599)]] = Field(
        default_factory=lambda: [200]
    )
    json_field: str | None = None
    json_equals: Any = None
    budget_per_min: Count | None = None
    rules: ThresholdOverrides = Field(default_factory=ThresholdOverrides)


def _default_channels() -> list[ChannelSettings]:
    return [LogSpec(name="log")]


class NotifySettings(BaseModel):
    """Channels (see README "Notifications"), the durable outbox, grouping and retries."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channels: list[ChannelSettings] = Field(default_factory=_default_channels)
    outbox_path: Path = Path("data/outbox.sqlite3")
    group_window_s: Seconds = 2.0
    storm_threshold: Count = 10  # a group of more alerts is one summary for people
    retry: RetrySettings = Field(default_factory=RetrySettings)
    breaker: BreakerSettings = Field(default_factory=BreakerSettings)
    fallback_after_s: float = Field(default=120.0, gt=0, le=DAY_S)  # failing this long: copy

    @pydantic.field_validator("channels")
    @classmethod
    def _names_and_fallbacks(cls, channels: list[ChannelSettings]) -> list[ChannelSettings]:
        names = [c.name for c in channels]
        for channel in channels:
            if names.count(channel.name) > 1:
                raise ValueError(f"channel name {channel.name!r} is not unique")
            if channel.fallback is not None and (
                channel.fallback == channel.name or channel.fallback not in names
            ):
                raise ValueError(f"channel {channel.name!r}: fallback must name another channel")
        return channels


class Settings(BaseSettings):
    """Every setting; see `.env.example` for each one's meaning."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", frozen=True
    )

    config: Path | None = None
    instance: OriginName = Field(default_factory=socket.gethostname)  # stamped on its records
    region: OriginName = Field(default_factory=socket.gethostname)
    enabled_exchanges: Annotated[list[str], NoDecode, pydantic.BeforeValidator(_split_names)] = (
        Field(default_factory=lambda: list(EXCHANGES))
    )
    exchanges: dict[str, ExchangeSettings] = Field(default_factory=dict)
    targets: list[TargetSettings] = Field(default_factory=list)
    control_target: HostPort | None = None  # a TCP connect witnessing our own network
    interval_s: IntervalS = 5.0
    timeout_s: ProbeTimeoutS = 3.0  # at most interval_s (checked per probe by the plan)
    fresh_connection: bool = False
    max_in_flight: Annotated[int, Field(ge=1, le=100_000)] = 2000
    global_rate_per_s: Annotated[float, Field(gt=0, le=1_000_000)] = 20_000.0
    # decoded; bounds memory and parse time
    body_max_bytes: Annotated[int, Field(ge=1024, le=256 * 1024 * 1024)] = 256 * 1024
    body_max_ratio: Annotated[float, Field(gt=1, le=100_000, allow_inf_nan=False)] = 200.0
    queue_size: Annotated[int, Field(ge=1, le=10_000_000)] = 100_000
    loop_lag_tick_s: Annotated[float, Field(ge=0.01, le=10)] = 0.1
    shutdown_grace_s: Annotated[float, Field(gt=0, le=600)] = 5.0
    uvloop: bool = True
    gc_threshold0: Count = 50_000  # fewer young-generation collections on the hot path
    gc_freeze: bool = True  # move start-up objects out of the collector's way
    rules: Thresholds = Field(default_factory=Thresholds)
    detect: DetectSettings = Field(default_factory=DetectSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    triage: TriageSettings = Field(default_factory=TriageSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"

    @pydantic.field_validator("enabled_exchanges")
    @classmethod
    def _known_venues(cls, names: list[str]) -> list[str]:
        for name in names:
            if name not in EXCHANGES:
                raise ValueError(f"unknown exchange {name!r}; known: {', '.join(EXCHANGES)}")
        return names

    @pydantic.field_validator("exchanges")
    @classmethod
    def _known_exchange_tables(
        cls, tables: dict[str, ExchangeSettings]
    ) -> dict[str, ExchangeSettings]:
        for venue, table in tables.items():
            if venue not in EXCHANGES:
                raise ValueError(f"unknown exchange {venue!r}; known: {', '.join(EXCHANGES)}")
            profile = EXCHANGES[venue]
            names = {ep.name for ep in profile.endpoints}
            for endpoint in table.endpoints:
                if endpoint not in names:
                    raise ValueError(
                        f"{venue} has no endpoint {endpoint!r}; known: {', '.join(sorted(names))}"
                    )
            if table.symbols and profile.symbol is None:
                raise ValueError(f"{venue} has no symbol status endpoint")
            creds = table.credentials
            if creds is not None and profile.access(creds.scheme) is None:
                schemes = ", ".join(a.scheme for a in profile.signed) or "none"
                raise ValueError(f"{venue} has no {creds.scheme!r} signing; known: {schemes}")
        return tables

    @pydantic.field_validator("targets")
    @classmethod
    def _unique_targets(cls, targets: list[TargetSettings]) -> list[TargetSettings]:
        seen: set[str] = set()
        for target in targets:
            if target.name in seen or target.name in (*EXCHANGES, CONTROL_VENUE):
                raise ValueError(f"target name {target.name!r} is not unique")
            seen.add(target.name)
        return targets

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML file arrives as init values: the environment must override it.
        return EnvironSource(settings_cls), init_settings, file_secret_settings

    @property
    def origin(self) -> Origin:
        return Origin(self.instance, self.region)

    def exchange(self, venue: str) -> ExchangeSettings:
        return self.exchanges.get(venue) or ExchangeSettings()

    def thresholds(
        self, venue: str, endpoint: str | None = None, target: TargetSettings | None = None
    ) -> Thresholds:
        """Global rule thresholds, overridden by the venue's (or the generic target's), then
        by the endpoint's."""
        if target is not None:
            return self.rules.merged(target.rules.values())
        table = self.exchange(venue)
        merged = self.rules.merged(table.rules.values())
        override = table.endpoints.get(endpoint) if endpoint else None
        return merged.merged(override.rules.values()) if override else merged


def _env_name(loc: tuple[int | str, ...]) -> str:
    return ENV_PREFIX + "__".join(str(p) for p in loc).upper()


def setting_error(loc: tuple[int | str, ...], problem: str) -> ConfigError:
    """The one-line error for the setting at `loc` (e.g. ("web", "port"))."""
    field = ".".join(str(p) for p in loc) or "settings"
    return ConfigError(f"invalid setting {field} ({_env_name(loc)}): {problem}")


def _describe(exc: pydantic.ValidationError) -> str:
    first = exc.errors()[0]
    more = len(exc.errors()) - 1
    tail = f" (and {more} more problem{'s' * (more > 1)})" if more else ""
    problem = str(first["msg"]).removeprefix("Value error, ")
    return str(setting_error(tuple(first["loc"]), problem + tail))


def _check_env_names(environ: Mapping[str, str]) -> None:
    known = {name.upper() for name in Settings.model_fields}
    for key in environ:
        if key.upper().startswith(ENV_PREFIX):
            top = key.upper()[len(ENV_PREFIX) :].split("__", 1)[0]
            if top not in known:
                raise ConfigError(f"invalid setting {key}: unknown setting (see .env.example)")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(
            f"invalid setting config (MONITOR_CONFIG): cannot read {path}: {exc.strerror}"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid setting config (MONITOR_CONFIG): {path}: {exc}") from exc


def _no_credentials_in_file(values: dict[str, Any]) -> None:
    for venue, table in (values.get("exchanges") or {}).items():
        if isinstance(table, dict) and "credentials" in table:
            raise ConfigError(
                f"invalid setting exchanges.{venue}.credentials (MONITOR_CONFIG): credentials"
                " come from the environment or secret files, never from the config file"
            )


def load_settings(environ: Mapping[str, str], **overrides: Any) -> Settings:
    """Build Settings from `environ` (MONITOR_* variables) over the TOML file it names.

    `overrides` sit between the file and the environment, for the CLI's own choices."""
    _check_env_names(environ)
    path = environ.get(ENV_PREFIX + "CONFIG")
    values: dict[str, Any] = _read_toml(Path(path)) if path else {}
    _no_credentials_in_file(values)
    values.update(overrides)
    reset = _ENVIRON.set(environ)
    try:
        return Settings(**values)
    except pydantic.ValidationError as exc:
        raise ConfigError(_describe(exc)) from exc
    except SettingsError as exc:
        raise ConfigError(f"invalid setting: {exc}") from exc
    finally:
        _ENVIRON.reset(reset)
