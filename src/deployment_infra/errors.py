"""Errors that `infra` turns into one line on stderr and an exit code.

Exit codes: 1 = the operation ran and refused or failed (policy violations, terraform errors);
2 = bad input (unknown environment, unreadable file, invalid settings), nothing was changed.
"""

from __future__ import annotations


class InfraError(Exception):
    """An expected failure: printed as one line, no traceback."""

    exit_code = 1


class UsageError(InfraError):
    """Bad input from the operator; nothing was changed."""

    exit_code = 2


class SettingsError(UsageError):
    """infra.toml (or an override of it) is invalid."""
