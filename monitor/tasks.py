"""`Task`: a named coroutine factory, what every stage hands the composition root to run."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

Task = tuple[str, Callable[[], Coroutine[Any, Any, None]]]  # a task's name and its factory
