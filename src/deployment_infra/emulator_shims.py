"""Compatibility shims for moto: each closes one gap between moto and what the AWS provider calls.

Every shim is listed in docs/emulator.md (what AWS does, what moto did) and has a test that fails
without it. Shims patch moto in the emulator process only; Terraform code never bends to moto.
"""

from __future__ import annotations

from collections.abc import Callable

Shim = Callable[[], None]

SHIMS: dict[str, Shim] = {}


def shim(name: str) -> Callable[[Shim], Shim]:
    """Register a shim under a stable name."""

    def register(func: Shim) -> Shim:
        SHIMS[name] = func
        return func

    return register


def apply_all() -> list[str]:
    """Apply every registered shim; returns their names (logged by the launcher)."""
    for func in SHIMS.values():
        func()
    return list(SHIMS)
