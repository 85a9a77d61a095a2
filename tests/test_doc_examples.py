"""Every configuration example in README.md and .env.example starts the monitor: each TOML
block (as MONITOR_CONFIG) and each set-up of an environment block (paragraphs of MONITOR_*
assignments) goes through `python -m monitor check-config` in a clean environment; timeline
blocks are read by the timeline loader."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from monitor.settings import load_settings
from monitor.sim.timeline import load_timeline
from tests.test_cli import ROOT, clean_env, run_cli

_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)
_ASSIGNMENT = re.compile(r"^(MONITOR_[A-Z0-9_]+)=(\S*)")
_COMMENTED = re.compile(r"^# (MONITOR_[A-Z0-9_]+)=(\S+)$")


def _env_setups(text: str) -> list[dict[str, str]]:
    """Each paragraph that assigns MONITOR_* variables is one set-up (inline comments off)."""
    setups = []
    for paragraph in re.split(r"\n\s*\n", text):
        found = [_ASSIGNMENT.match(line) for line in paragraph.splitlines()]
        setup = {m.group(1): m.group(2) for m in found if m}
        if setup:
            setups.append(setup)
    return setups


def _examples() -> list[pytest.ParameterSet]:
    readme = (ROOT / "README.md").read_text()
    cases = []
    for number, (lang, body) in enumerate(_BLOCK.findall(readme)):
        if lang == "toml":
            cases.append(pytest.param("toml", body, id=f"readme-{number}-toml"))
        elif lang in ("sh", "env"):
            for part, setup in enumerate(_env_setups(body)):
                cases.append(pytest.param("env", setup, id=f"readme-{number}-env-{part}"))
    active = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line.startswith("MONITOR_")
    )
    cases.append(pytest.param("env", active, id="env-example"))
    return cases


def test_every_readme_config_block_is_covered() -> None:
    ids = [str(case.id) for case in _examples()]
    assert sum("toml" in i for i in ids) >= 5 and sum("-env-" in i for i in ids) >= 3


@pytest.mark.parametrize(("kind", "example"), _examples())
async def test_config_example_passes_check_config(
    kind: str, example: str | dict[str, str], tmp_path: Path
) -> None:
    env = clean_env()
    if kind == "toml":
        assert isinstance(example, str)
        path = tmp_path / "example.toml"
        path.write_text(example)
        if "steps" in tomllib.loads(example):  # a chaos timeline, not the monitor's config
            assert load_timeline(path).steps
            return
        env["MONITOR_CONFIG"] = str(path)
    else:
        assert isinstance(example, dict)
        env.update(example)
    code, out, err = await run_cli("check-config", env=env)
    assert code == 0, err
    assert "ok:" in out


def test_commented_env_example_values_load() -> None:
    """The commented examples in .env.example that carry a real value (not `...`)."""
    text = (ROOT / ".env.example").read_text()
    checked = 0
    for match in map(_COMMENTED.match, text.splitlines()):
        if match is None or "..." in match.group(2) or match.group(1) == "MONITOR_CONFIG":
            continue  # placeholders, and a file of the reader's own
        if "CREDENTIALS" in match.group(1):
            continue  # key parts that only load together
        load_settings({match.group(1): match.group(2)})
        checked += 1
    assert checked >= 10
