"""Settings: defaults, TOML file, env over file, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.exchanges import EXCHANGES
from monitor.probes.kinds import build_plan
from monitor.probes.plan import budget_overruns
from monitor.settings import ConfigError, load_settings


def test_defaults_probe_every_registered_venue() -> None:
    settings = load_settings({})
    plan = build_plan(settings)
    assert {p.venue for p in plan.probes} == set(EXCHANGES)
    assert all(p.url.startswith("https://") for p in plan.probes)
    assert budget_overruns(plan) == {}  # the defaults respect every venue's budget


def test_env_overrides_file_per_field(tmp_path: Path) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text(
        'interval_s = 2.0\ntimeout_s = 1.0\nenabled_exchanges = ["binance", "kraken"]\n'
        "[exchanges.binance]\n"
        'base_url = "https://api1.binance.com"\ninterval_s = 4.0\ntimeout_s = 1.5\n'
        "[exchanges.binance.endpoints.depth]\ninterval_s = 10.0\nfresh_connection = true\n"
        "[exchanges.kraken.endpoints.time]\nenabled = false\n"
        '[[targets]]\nname = "gateway"\nurl = "http://127.0.0.1:9/health"\n'
        'json_field = "status"\njson_equals = "ok"\n'
        '[targets.headers]\nAuthorization = "Bearer canary-token-123"\n'
    )
    environ = {"MONITOR_CONFIG": str(config), "MONITOR_EXCHANGES__BINANCE__INTERVAL_S": "3"}
    settings = load_settings(environ)
    probes = {p.endpoint_id: p for p in build_plan(settings).probes}
    assert probes["binance.time"].interval_s == 3.0  # env beat the file
    assert probes["binance.time"].timeout_s == 1.5  # the file's other keys survive
    assert probes["binance.time"].url == "https://api1.binance.com/api/v3/time"
    assert probes["binance.depth"].interval_s == 10.0 and probes["binance.depth"].fresh_connection
    assert probes["kraken.status"].interval_s == 2.0
    assert "kraken.time" not in probes and "okx.time" not in probes
    assert probes["gateway.http"].headers == {"Authorization": "Bearer canary-token-123"}
    assert "canary-token-123" not in repr(settings) + repr(probes["gateway.http"])


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"MONITOR_INTERVAL_S": "-1"}, "interval_s (MONITOR_INTERVAL_S): Input should be greater"),
        ({"MONITOR_MAX_IN_FLIGHT": "many"}, "max_in_flight (MONITOR_MAX_IN_FLIGHT): Input should"),
        ({"MONITOR_ENABLED_EXCHANGES": "binance,ftx"}, "unknown exchange 'ftx'"),
        ({"MONITOR_EXCHANGES__BINANCE__BASE_URL": "ftp://x"}, "must start with http"),
        (
            {"MONITOR_EXCHANGES__OKX__ENDPOINTS__PING__ENABLED": "false"},
            "okx has no endpoint 'ping'",
        ),
        ({"MONITOR_EXCHANGES__BINANCE__TIMEOUTS": "1"}, "Extra inputs are not permitted"),
        ({"MONITOR_INTERVALS": "1"}, "MONITOR_INTERVALS: unknown setting"),
        ({"MONITOR_LOG_FORMAT": "xml"}, "log_format (MONITOR_LOG_FORMAT)"),
        ({"MONITOR_CONTROL_TARGET": "1.1.1.1"}, "control_target (MONITOR_CONTROL_TARGET)"),
        ({"MONITOR_CONTROL_TARGET": "1.1.1.1:70000"}, "port must be 1-65535"),
        ({"MONITOR_CONFIG": "/nonexistent/monitor.toml"}, "cannot read /nonexistent/monitor.toml"),
    ],
)
def test_invalid_settings_name_the_field(variables: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(variables)
    text = str(caught.value)
    assert message in text
    assert "\n" not in text


def test_bad_toml_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("interval_s = = 2\n")
    with pytest.raises(ConfigError, match=r"bad\.toml") as caught:
        load_settings({"MONITOR_CONFIG": str(config)})
    assert "\n" not in str(caught.value)


def test_budget_overrun_is_reported() -> None:
    settings = load_settings(
        {
            "MONITOR_EXCHANGES__KRAKEN__INTERVAL_S": "0.5",
            "MONITOR_EXCHANGES__KRAKEN__TIMEOUT_S": "0.5",
        }
    )
    overruns = budget_overruns(build_plan(settings))
    assert overruns == {"kraken": (360.0, 60)}


def test_env_example_lists_every_setting_and_loads() -> None:
    from monitor.settings import Settings  # noqa: PLC0415

    text = (Path(__file__).parent.parent / ".env.example").read_text()
    from monitor.detect.thresholds import DetectSettings, Thresholds  # noqa: PLC0415
    from monitor.retry import BreakerSettings, RetrySettings  # noqa: PLC0415
    from monitor.settings import NotifySettings  # noqa: PLC0415
    from monitor.store.history import StoreSettings  # noqa: PLC0415
    from monitor.store.influx import InfluxSettings  # noqa: PLC0415
    from monitor.triage.client import LlmSettings, StepSettings  # noqa: PLC0415
    from monitor.triage.service import TriageSettings  # noqa: PLC0415
    from monitor.web.config import WebSettings  # noqa: PLC0415

    names = [f"MONITOR_{f.upper()}" for f in Settings.model_fields]
    names += [f"MONITOR_RULES__{f.upper()}" for f in Thresholds.model_fields]
    names += [f"MONITOR_DETECT__{f.upper()}" for f in DetectSettings.model_fields]
    names += [f"MONITOR_NOTIFY__{f.upper()}" for f in NotifySettings.model_fields]
    names += [f"MONITOR_NOTIFY__RETRY__{f.upper()}" for f in RetrySettings.model_fields]
    names += [f"MONITOR_NOTIFY__BREAKER__{f.upper()}" for f in BreakerSettings.model_fields]
    names += [f"MONITOR_TRIAGE__{f.upper()}" for f in TriageSettings.model_fields]
    names += [f"MONITOR_TRIAGE__LLM__{f.upper()}" for f in LlmSettings.model_fields]
    names += [f"MONITOR_TRIAGE__CLASSIFY__{f.upper()}" for f in StepSettings.model_fields]
    names += [f"MONITOR_WEB__{f.upper()}" for f in WebSettings.model_fields]
    names += [f"MONITOR_STORE__{f.upper()}" for f in StoreSettings.model_fields]
    names += [f"MONITOR_STORE__INFLUX__{f.upper()}" for f in InfluxSettings.model_fields]
    for name in names:
        assert name in text, name
    active = dict(
        line.split("=", 1)
        for line in text.splitlines()
        if line.startswith("MONITOR_") and "=" in line
    )
    defaults = load_settings({})
    assert len(active) >= 10
    assert load_settings(active) == defaults


def test_credentials_from_env_and_secret_files(tmp_path: Path) -> None:
    secret_file = tmp_path / "okx_secret"
    secret_file.write_text("file-secret-xyz\n")
    environ = {
        "MONITOR_EXCHANGES__OKX__CREDENTIALS__API_KEY": "env-key-abc",
        "MONITOR_EXCHANGES__OKX__CREDENTIALS__API_SECRET_FILE": str(secret_file),
        "MONITOR_EXCHANGES__OKX__CREDENTIALS__PASSPHRASE": "env-pass",
    }
    settings = load_settings(environ)
    creds = settings.exchange("okx").credentials
    assert creds is not None and creds.api_secret is not None
    assert creds.api_secret.get_secret_value() == "file-secret-xyz"
    probes = {p.endpoint_id: p for p in build_plan(settings).probes}
    assert probes["okx.account"].interval_s == 60.0  # signed probes run at a low rate
    assert "binance.account" not in probes  # no credentials, no signed probe
    for text in (repr(settings), str(settings.model_dump()), repr(probes["okx.account"])):
        assert "file-secret-xyz" not in text and "env-key-abc" not in text


def test_credentials_in_the_config_file_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text('[exchanges.binance.credentials]\napi_key = "k"\napi_secret = "s"\n')
    with pytest.raises(ConfigError, match="never from the config file"):
        load_settings({"MONITOR_CONFIG": str(config)})


def test_incomplete_credentials() -> None:
    with pytest.raises(ConfigError, match="api_key and api_secret are both required"):
        load_settings({"MONITOR_EXCHANGES__BYBIT__CREDENTIALS__API_KEY": "k"})


def test_a_scheme_the_venue_does_not_sign_with_is_refused() -> None:
    environ = {
        "MONITOR_EXCHANGES__BINANCE__CREDENTIALS__API_KEY": "k",
        "MONITOR_EXCHANGES__BINANCE__CREDENTIALS__API_SECRET": "s",
        "MONITOR_EXCHANGES__BINANCE__CREDENTIALS__SCHEME": "jwt",
    }
    with pytest.raises(ConfigError, match="binance has no 'jwt' signing; known: hmac") as caught:
        load_settings(environ)
    assert "\n" not in str(caught.value)


def test_one_field_of_a_triage_step_keeps_the_step_defaults() -> None:
    """Fails before: `triage.classify.max_tokens ... Field required (and 2 more)`."""
    settings = load_settings(
        {"MONITOR_TRIAGE__CLASSIFY__MODEL": "local", "MONITOR_TRIAGE__ANALYZE__DEADLINE_S": "90"}
    )
    classify, analyze = settings.triage.classify, settings.triage.analyze
    assert (classify.model, classify.deadline_s, classify.max_tokens) == ("local", 20, 300)
    assert (analyze.model, analyze.deadline_s, analyze.max_tokens) == ("gpt-4.1", 90, 1500)
