"""Container steps: hadolint (lint stage) and the daemonless image build (build stage)."""

from __future__ import annotations

from deployment_infra.ci.model import Step

LINT_STEPS: tuple[Step, ...] = ()
BUILD_STEPS: tuple[Step, ...] = ()
