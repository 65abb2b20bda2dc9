"""`infra ops residency-scan`: inventory every enabled region of the account and report what sits
outside the locations its data class allows (rules: deployment_infra.ops.residency_scan).

Exit codes: 0 nothing outside, 1 findings or a region/service that could not be scanned (a scan
that could not look everywhere did not pass), 2 bad input (nothing was called).
"""

from __future__ import annotations

from deployment_infra import ui
from deployment_infra.commands.common import context
from deployment_infra.ops.residency_scan import (
    Judgement,
    Rules,
    ScanReport,
    enabled_regions,
    parse_regions,
    scan,
    select_regions,
)
from deployment_infra.ui import print_json


def residency_scan(env: str | None, target: str, as_json: bool, regions: str | None) -> int:
    requested = parse_regions(regions)  # bad input fails before any AWS call
    ctx = context(target)
    if env is not None:
        ctx.settings.environment(env)  # an unknown environment is bad input too
    ctx.target.prepare()
    home = ctx.settings.default_region
    enabled = enabled_regions(ctx.target, home)
    select_regions(enabled, requested)  # a region that is not enabled is bad input: say so first
    rules = Rules(ctx.settings.allowed_regions, env)
    scope = f"environment {env} and unattributed resources" if env else "every resource"
    ui.step(f"residency scan on {target}: {scope}")
    report = scan(ctx.target, rules, home, requested, enabled=enabled, progress=ui.detail)
    if as_json:
        print_json(report.to_dict())
    else:
        _show(report)
    summary = (
        f"{report.inventoried} resource(s) in {len(report.regions_scanned)} region(s), {report.seconds:.1f}s"
    )
    if report.other_environment:
        summary += f"; {report.other_environment} tagged with another environment, not judged"
    if report.global_not_judged:
        summary += f"; {report.global_not_judged} global (no region) not judged"
    if not report.passed:
        ui.error(
            f"residency scan failed: {len(report.findings)} finding(s), "
            f"{len(report.not_scanned)} not scanned ({summary})"
        )
        return 1
    ui.ok(f"nothing outside its allow-list ({summary})")
    return 0


def _class(j: Judgement) -> str:
    if j.item.tags is None:
        return "? (tags unreadable)"
    return j.data_class or "(untagged)"


def _show(report: ScanReport) -> None:
    if report.findings:
        ui.table(
            f"Residency scan: {len(report.findings)} finding(s)",
            ["region", "service", "id", "class", "why"],
            [(j.location, j.item.service, j.item.arn, _class(j), j.why) for j in report.findings],
        )
    for gap in report.not_scanned:
        ui.out.print(str(gap), markup=False)
