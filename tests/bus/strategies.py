"""Hypothesis strategies for bus records, derived from their type hints: a record whose
fields change needs no change here. JSON-typed values (`Any`) are JSON-native; floats are
finite (JSON has no NaN) and integers fit 64 bits (as orjson requires)."""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

from hypothesis import strategies as st

FLOATS = st.floats(allow_nan=False, allow_infinity=False)
INTS = st.integers(-(2**63), 2**63 - 1)
JSON: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | INTS | FLOATS | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _hinted(hint: Any) -> st.SearchStrategy[Any]:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return JSON
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(_hinted(arg) for arg in args))
    if origin is dict:
        return st.dictionaries(_hinted(args[0]), _hinted(args[1]), max_size=3)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return st.lists(_hinted(args[0]), max_size=3).map(tuple)
    if origin is tuple:
        return st.tuples(*(_hinted(arg) for arg in args))
    if origin is list:
        return st.lists(_hinted(args[0]), max_size=3)
    if dataclasses.is_dataclass(hint):
        return records(hint)  # type: ignore[arg-type]
    if hint is float:
        return FLOATS
    if hint is int:
        return INTS
    return st.from_type(hint)  # str, bool, enums, Literal


def records(cls: type[Any]) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(cls)
    fields = {f.name: _hinted(hints[f.name]) for f in dataclasses.fields(cls)}
    return st.builds(cls, **fields)
