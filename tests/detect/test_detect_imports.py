"""The detector only decides: no module of the detect stage imports the store (rollups,
history, exporters and series are bus subscribers of their own)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.test_surface_imports import ROOT, imported

DETECT = sorted((ROOT / "detect").glob("*.py"))


@pytest.mark.parametrize("path", DETECT, ids=lambda p: p.name)
def test_detect_does_not_import_the_store(path: Path) -> None:
    bad = {name for name in imported(path) if name.startswith("monitor.store")}
    assert not bad, f"{path.name} imports {sorted(bad)}"
