"""Generic solves kept by the process.

The critical points of a chart at generic data depend on the chart's owner, the network and the
seed alone, and finding them (monodromy or a start-system homotopy) is the slow part of an exact
estimate: seconds to minutes before the first sample. Estimates repeated on one network (a
notebook, the targets of ``analyze``) take them from here instead."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

KEPT = 48  # solves kept, the oldest dropped first
_KEPT: dict[Hashable, object] = {}
_LOCK = threading.Lock()

T = TypeVar("T")


def kept_solve(key: Hashable, build: Callable[[], T]) -> T:
    """The solve kept under ``key``, else ``build()``, kept from now on. Two threads asking for
    the same key at once may both build it; they get equal results (solves are seeded)."""
    with _LOCK:
        if key in _KEPT:
            return _KEPT[key]  # type: ignore[return-value]
    value = build()
    with _LOCK:
        _KEPT[key] = value
        while len(_KEPT) > KEPT:
            _KEPT.pop(next(iter(_KEPT)))
    return value
