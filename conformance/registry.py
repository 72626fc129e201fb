"""Registries that refuse duplicates: probes, string formats, auth placements and body
encodings are each filed under one name, and a second registration of that name by another
function is an error, never a silent overwrite. Each entry remembers where it was defined
(`module:qualname`), which is what an error message names."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class DuplicateRegistration(ValueError):
    """Two different definitions claimed the same name."""


def full_name(function: Callable) -> str:
    """`module:qualname`, the name a definition is known by wherever it is registered."""
    return f"{function.__module__}:{function.__qualname__}"


class Registry(Generic[T]):
    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, T] = {}
        self._defined_at: dict[str, str] = {}

    def add(self, name: str, entry: T, defined_at: str) -> T:
        """File `entry` under `name`. The same definition filed again (a module imported twice)
        is a no-op; another definition under a taken name is refused."""
        known = self._defined_at.get(name)
        if known is not None and known != defined_at:
            raise DuplicateRegistration(f"{self.kind} {name!r} is registered twice: by {known} and by {defined_at}")
        self._entries[name] = entry
        self._defined_at[name] = defined_at
        return entry

    def decorator(self, name: str):
        """`@registry.decorator(name)` files the decorated function under `name`."""

        def register(function):
            self.add(name, function, full_name(function))
            return function

        return register

    def defined_at(self, name: str) -> str:
        return self._defined_at[name]

    def get(self, name, default=None):
        return self._entries.get(name, default)

    def __getitem__(self, name: str) -> T:
        return self._entries[name]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def snapshot(self) -> tuple[dict, dict]:
        """What is registered now, for `restore` (a test that registers its own entries)."""
        return dict(self._entries), dict(self._defined_at)

    def restore(self, snapshot: tuple[dict, dict]) -> None:
        self._entries, self._defined_at = dict(snapshot[0]), dict(snapshot[1])

    def keys(self):
        return self._entries.keys()

    def values(self):
        return self._entries.values()

    def items(self):
        return self._entries.items()
