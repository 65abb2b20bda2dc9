"""Reading the project's TOML files (settings, transfer register, price table) with one-line errors."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from deployment_infra.errors import UsageError


def read(path: Path, what: str, error: type[UsageError] = UsageError) -> dict[str, Any]:
    """The parsed document at `path`; `error` (one line naming the file and `what` it is) if it is
    missing, unreadable, not UTF-8 or not TOML."""
    try:
        return tomllib.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: {what} not found") from None
    except OSError as exc:
        raise error(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: invalid TOML: {exc}") from None
