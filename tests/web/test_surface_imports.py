"""Surfaces read the MonitorView port: none of them imports the composition root or a
stage's live state (its coroutines, trackers, alert book, counters)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import monitor

ROOT = Path(monitor.__file__).parent
SURFACES = sorted([*(ROOT / "web").glob("*.py"), ROOT / "console.py", ROOT / "dashboard.py"])
FORBIDDEN = (
    "monitor.app",
    "monitor.live_view",
    "monitor.detect.detector",
    "monitor.detect.tracker",
    "monitor.detect.state",
    "monitor.notify.notifier",
    "monitor.probes.runner",
    "monitor.probes.health",
    "monitor.store.history",
)


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("path", SURFACES, ids=lambda p: p.name)
def test_a_surface_reads_only_the_view(path: Path) -> None:
    bad = {name for name in imported(path) if name.startswith(FORBIDDEN)}
    assert not bad, f"{path.name} imports {sorted(bad)}"
