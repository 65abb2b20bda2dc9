"""Lint stage for TypeScript, Python and Terraform."""

from __future__ import annotations

from deployment_infra.ci.model import Step

STEPS: tuple[Step, ...] = ()
