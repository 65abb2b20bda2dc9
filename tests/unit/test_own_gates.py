"""Issue 9: the repository passes its own gates, and stays that way.

checkov: no reviewed baseline any more (ci/checkov-baseline.json stays empty), every inline
`checkov:skip` names a rule and says why in words, and ci/security.toml cannot suppress checkov
findings in real Terraform or workflows wholesale. Workflows (all of them, including ones added
later): `permissions: {}` at the top, least privilege per job, every action pinned to a commit
with its release tag, one commit per action across workflows."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deployment_infra.ci.findings import load_baseline, load_config
from deployment_infra.ci.workflow_model import load_yaml
from tests.conftest import REPO

CI_DIR = REPO / "ci"
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.y*ml"))
# checkov's own comment syntax (checkov.common.comment.enum.COMMENT_REGEX), reason after the colon
SKIP = re.compile(r"(?:checkov|bridgecrew):skip=\s*([^\s:]*)(?::(.*))?")
RULE_ID = re.compile(r"CKV2?_[A-Z]+_\d+")
MIN_REASON_WORDS = 6
NOT_A_REASON = {"accepted", "false positive", "not applicable", "n/a", "todo", "ignore", "wontfix"}
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+?)@(\S+)(.*)$", re.MULTILINE)
AWS_CREDENTIALS = "aws-actions/configure-aws-credentials"


def _iac_files() -> Iterator[Path]:
    for path in sorted((REPO / "terraform").rglob("*")):
        if path.suffix in {".tf", ".hcl"} and ".terraform" not in path.parts:
            yield path
    yield from WORKFLOWS


def _skips() -> list[tuple[str, str, str]]:
    """(where, rule, reason) of every inline checkov skip in terraform/ and .github/."""
    found = []
    for path in _iac_files():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for m in SKIP.finditer(line):
                where = f"{path.relative_to(REPO)}:{n}"
                found.append((where, m.group(1), (m.group(2) or "").strip()))
    return found


# -- checkov ------------------------------------------------------------------------------------


def test_the_checkov_baseline_accepts_nothing() -> None:
    config = load_config(CI_DIR)
    baseline = config.baselines.get("checkov")
    if baseline is None:  # no baseline configured at all is fine too
        return
    assert load_baseline(baseline, "checkov") == (), (
        f"{baseline.relative_to(REPO)} accepts findings again: fix each one, or skip it inline "
        "on its resource with `#checkov:skip=<ID>: <why this is right here>`"
    )


def test_the_repository_has_inline_skips_to_check() -> None:
    # guards the scan below against finding nothing because a path or the pattern broke
    assert len(_skips()) >= 50


@pytest.mark.parametrize("where,rule,reason", _skips(), ids=lambda v: str(v)[:60])
def test_every_inline_checkov_skip_names_a_rule_and_says_why(where: str, rule: str, reason: str) -> None:
    assert RULE_ID.fullmatch(rule), f"{where}: {rule!r} is not a checkov rule id (CKV_AWS_18, CKV2_AWS_62)"
    words = reason.split()
    assert len(words) >= MIN_REASON_WORDS and reason.lower().strip(" .") not in NOT_A_REASON, (
        f"{where}: `checkov:skip={rule}` needs a reason of at least {MIN_REASON_WORDS} words saying "
        f"why the rule does not hold here, got {reason!r}"
    )


def test_a_skip_without_reason_is_caught(tmp_path: Path) -> None:
    # the pattern reads a bare skip as one with an empty reason, which the test above refuses
    m = SKIP.search('resource "aws_s3_bucket" "x" { #checkov:skip=CKV_AWS_18')
    assert m is not None and m.group(1) == "CKV_AWS_18" and not (m.group(2) or "").strip()
    m = SKIP.search("  # checkov:skip=CKV_AWS_18: accepted")
    assert m is not None and (m.group(2) or "").strip() == "accepted"


def _checked_files() -> list[str]:
    """Terraform and workflow files checkov gates, outside `terraform test` fixtures."""
    return [
        p.relative_to(REPO).as_posix()
        for p in _iac_files()
        if p.suffix in {".tf", ".yml", ".yaml"} and "tests" not in p.relative_to(REPO).parts
    ]


def test_security_toml_cannot_suppress_checkov_on_real_terraform_or_workflows() -> None:
    # those findings are skipped inline, next to the code, with their reason; the config's
    # suppressions are for what cannot carry a comment (test fixtures, an ARG-resolved FROM)
    files = _checked_files()
    assert any(f.startswith("terraform/environments/") for f in files)
    for s in load_config(CI_DIR).suppressions:
        if s.scanner == "checkov":
            hit = [f for f in files if fnmatch.fnmatchcase(f, s.path)]
            assert hit == [], f"ci/security.toml suppresses checkov {s.rule} on {hit[:3]}: skip it inline"


# -- workflows ----------------------------------------------------------------------------------


def _doc(path: Path) -> dict[str, Any]:
    data = load_yaml(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path.name
    return data


def _uses(job: dict[str, Any], action: str) -> bool:
    return any(str(s.get("uses", "")).split("@")[0] == action for s in job.get("steps", []))


def test_there_are_workflows_to_check() -> None:
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "cd.yml", "verify-backup.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_permissions_are_least_privilege(path: Path) -> None:
    data = _doc(path)
    assert data.get("permissions") == {}, f"{path.name}: top-level `permissions: {{}}`; jobs ask for theirs"
    for jid, job in data["jobs"].items():
        perms = job.get("permissions")
        assert isinstance(perms, dict), f"{path.name} {jid}: job-level permissions (a mapping) are required"
        aws = _uses(job, AWS_CREDENTIALS)
        # OIDC only where AWS credentials are assumed; never a stored key
        assert perms.get("id-token") == ("write" if aws else None), f"{path.name} {jid}: id-token"
        checkout = _uses(job, "actions/checkout")
        assert perms.get("contents") == ("read" if checkout else None), f"{path.name} {jid}: contents"
        assert set(perms) <= {"contents", "id-token", "pull-requests"}, f"{path.name} {jid}: {sorted(perms)}"
        assert perms.get("pull-requests") in {None, "read", "write"}, f"{path.name} {jid}"
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False, f"{path.name} {jid}"
            if str(step.get("uses", "")).startswith(f"{AWS_CREDENTIALS}@"):
                assert not {"aws-access-key-id", "aws-secret-access-key"} & set(step.get("with", {}))


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_tag(path: Path) -> None:
    for action, ref, rest in USES.findall(path.read_text(encoding="utf-8")):
        if action.startswith("./"):
            continue  # a local action or workflow: versioned with this repository
        assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{path.name}: {action}@{ref} is not a commit SHA"
        assert re.fullmatch(r"\s*# v\d+\.\d+\.\d+.*", rest), f"{path.name}: {action}@{ref} has no '# vX.Y.Z'"


def test_every_workflow_pins_the_same_commit_of_each_action() -> None:
    pins: dict[str, set[str]] = {}
    for path in WORKFLOWS:
        for action, ref, _ in USES.findall(path.read_text(encoding="utf-8")):
            pins.setdefault(action, set()).add(ref)
    assert {a: sorted(r) for a, r in pins.items() if len(r) > 1} == {}
