"""What several verbs share: loading settings and resolving the target and environment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from deployment_infra import settings as settings_mod
from deployment_infra import ui
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
