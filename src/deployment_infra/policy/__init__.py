"""Policy gate over `terraform show -json` plans: residency, encryption, tags; fails closed."""

from deployment_infra.policy.checks import CHECKS
from deployment_infra.policy.gate import check_plan
from deployment_infra.policy.model import PlanView, PolicyCheck, PolicyContext, Resource, TagSet, Violation
from deployment_infra.policy.plan import build_view, load_plan_file

__all__ = [
    "CHECKS",
    "PlanView",
    "PolicyCheck",
    "PolicyContext",
    "Resource",
    "TagSet",
    "Violation",
    "build_view",
    "check_plan",
    "load_plan_file",
]
