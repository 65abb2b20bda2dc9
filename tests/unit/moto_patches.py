"""Undo emulator shims after a test: shims patch moto's classes and URL maps in place."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def restoring(classes: Iterable[type], url_maps: Iterable[dict[str, Any]] = ()) -> Iterator[None]:
    """Snapshot the attributes of `classes` and the contents of `url_maps`; put them back on exit."""
    saved = {cls: dict(vars(cls)) for cls in classes}
    maps = [(url_map, dict(url_map)) for url_map in url_maps]
    try:
        yield
    finally:
        for cls, attributes in saved.items():
            for key in [k for k in vars(cls) if k not in attributes]:
                delattr(cls, key)
            for key, value in attributes.items():
                if vars(cls).get(key) is not value:
                    setattr(cls, key, value)
        for url_map, contents in maps:
            url_map.clear()
            url_map.update(contents)
