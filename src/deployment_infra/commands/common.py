"""What several verbs share: loading settings and resolving the target and environment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from deployment_infra import settings as settings_mod
from deployment_infra import ui
from deployment_infra.errors import UsageError
from deployment_infra.settings import EnvironmentSettings, Settings
from deployment_infra.stack import Stack
from deployment_infra.targets import Target, make_target

if TYPE_CHECKING:
    from deployment_infra.policy import Violation


@dataclass
class Context:
    settings: Settings
    target: Target


def context(target: str) -> Context:
    s = settings_mod.load()
    return Context(s, make_target(target, s))


def stack(ctx: Context, env: str) -> Stack:
    environment: EnvironmentSettings = ctx.settings.environment(env)
    return Stack(ctx.settings, ctx.target, environment)


def show_violations(violations: list[Violation]) -> None:
    ui.table(
        f"Policy gate: {len(violations)} violation(s)",
        ["check", "resource", "problem"],
        [(v.check_id, v.address, v.message) for v in violations],
        to_stderr=True,
    )


def confirm_destruction(st: Stack, what: str, yes: bool) -> None:
    """On a protected environment, destroying anything needs a typed 'yes' or --yes; else refuse."""
    if st.env.protected and not yes and not ui.confirm(f"{what} in {st.env.name}."):
        raise UsageError(
            f"{st.env.name} is protected: destroying needs confirmation (or --yes); nothing changed"
        )
