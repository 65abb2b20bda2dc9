"""Security stage: secrets, dependency audit, IaC and code scanning."""

from __future__ import annotations

from deployment_infra.ci.model import Step

STEPS: tuple[Step, ...] = ()
