"""Workflow steps: actionlint and shellcheck on .github/workflows (lint stage)."""

from __future__ import annotations

from deployment_infra.ci.model import Step

LINT_STEPS: tuple[Step, ...] = ()
