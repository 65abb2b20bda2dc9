"""The workflow model behind Property 1 (expressions, GitHub's job semantics, triggers) and the
promises .github/workflows/ci.yml and ci-reusable.yml make (pins, permissions, timeouts, split);
the CD workflows' own promises are in test_cd_workflows.py, their pins here."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from deployment_infra.ci import workflow_expr as expr
from deployment_infra.ci.workflow_model import (
    Scenario,
    WorkflowError,
    condition_holds,
    load,
    load_yaml,
    simulate,
    triggered,
    violations,
)
from tests.conftest import REPO

WORKFLOWS = REPO / ".github" / "workflows"
OURS = ("ci.yml", "ci-reusable.yml")
CD = ("cd.yml", "rollback.yml", "preview.yml")  # pinned like CI, to the very same commits
USES = r"^\s*(?:-\s+)?uses:\s*(\S+?)@(\S+)"  # a step's or job's `uses:`, not the comments
INTEGRATION_MARK = re.compile(r"@pytest\.mark\.integration|^pytestmark\b.*\bintegration", re.MULTILINE)
OK = {"success": True, "failure": False, "cancelled": False, "always": True}
FAILED = {"success": False, "failure": True, "cancelled": False, "always": True}
CTX: dict[str, Any] = {
    "github": expr.Strict(event_name="push", ref="refs/heads/main"),
    "needs": expr.Strict(
        lint=expr.Strict(result="success", outputs=expr.Strict()),
        test=expr.Strict(result="failure", outputs=expr.Strict()),
    ),
    "inputs": expr.Strict({"build": True, "path": "."}),
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("github.event_name == 'PUSH'", True),  # string comparison ignores case
        ("${{ github.ref == format('refs/heads/{0}', 'main') }}", True),
        ("!cancelled() && github.ref != 'refs/heads/main'", False),
        ("contains(needs.*.result, 'failure')", True),
        ("needs['lint'].result == 'success' && needs.test.result == 'success'", False),
        ("inputs.build && github.event_name == 'push'", True),
        ("startsWith(github.ref, 'refs/heads/') && endsWith(github.ref, 'MAIN')", True),
        ("1 == '1' && null == 0 && '' == false && !(1 < 0)", True),
        ("github.event_name == 'push' || secrets.NEVER_READ", True),  # || stops at a truthy operand
        ("join(needs.*.result, ',') == 'success,failure'", True),
        ("fromJSON('[1, 2]')[1] == 2", True),
    ],
)
def test_expressions_evaluate_as_github_does(text: str, expected: bool) -> None:
    assert expr.truthy(expr.evaluate(expr.parse(text), CTX, OK)) is expected


def test_to_json_of_needs_is_the_object_the_gate_reads() -> None:
    out = expr.evaluate(expr.parse("toJSON(needs)"), CTX, OK)
    assert json.loads(out) == {
        "lint": {"result": "success", "outputs": {}},
        "test": {"result": "failure", "outputs": {}},
    }


@pytest.mark.parametrize(
    "text",
    ["secrets.TOKEN == 'x'", "vars.RUNNER", "github.event.repository.default_branch", "hashFiles('a')"],
)
def test_what_the_file_does_not_say_is_unknown(text: str) -> None:
    with pytest.raises(expr.Unknown):
        expr.evaluate(expr.parse(text), CTX, OK)


@pytest.mark.parametrize("text", ["github.event_name ==", "(success()", "a.'b'", "1 ~ 2"])
def test_syntax_errors_are_expression_errors(text: str) -> None:
    with pytest.raises(expr.ExpressionError):
        expr.parse(text)


@pytest.mark.parametrize(
    ("condition", "status", "expected"),
    [
        (None, OK, True),
        (None, FAILED, False),
        ("github.event_name == 'push'", FAILED, False),  # success() && ... is implied
        ("always()", FAILED, True),
        ("failure()", FAILED, True),
        ("!cancelled() && github.event_name == 'push'", FAILED, True),
        ("${{ github.event_name == }}", FAILED, True),  # unparseable: it may run
        ("secrets.DEPLOY == 'yes'", OK, True),  # unknowable: it may run
    ],
)
def test_job_conditions(condition: str | None, status: dict[str, bool], expected: bool) -> None:
    assert condition_holds(condition, CTX, status) is expected


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "wf.yml"
    path.write_text(text, encoding="utf-8")
    return path


CHAIN = """\
on: push
jobs:
  a: {runs-on: x, steps: [{run: "true"}]}
  b: {needs: a, if: always(), runs-on: x, steps: [{run: "true"}]}
  c: {needs: [b], runs-on: x, steps: [{run: "true"}]}
  d: {needs: [b], if: failure(), runs-on: x, steps: [{run: "true"}]}
"""


def test_success_looks_at_every_ancestor_not_only_the_direct_needs(tmp_path: Path) -> None:
    wf = load(write(tmp_path, CHAIN))
    run = simulate(
        wf,
        Scenario(
            "push", "refs/heads/main", False, {"a": "failure", "b": "success", "c": "success", "d": "success"}
        ),
    )
    assert run.results == {"a": "failure", "b": "success", "c": "skipped", "d": "success"}
    assert run.ran == {"a", "b", "d"}
    run = simulate(wf, Scenario("push", "refs/heads/main", True, dict.fromkeys("abcd", "success")))
    assert run.results == {"a": "skipped", "b": "success", "c": "skipped", "d": "skipped"}


def test_on_is_read_as_a_key_not_as_yaml_1_1_true(tmp_path: Path) -> None:
    assert "on" in load_yaml("on: push\n") and load(write(tmp_path, CHAIN)).triggers == {"push": None}


@pytest.mark.parametrize(
    ("on", "event", "ref", "expected"),
    [
        ("{push: {branches: [main]}}", "push", "refs/heads/main", True),
        ("{push: {branches: [main]}}", "push", "refs/heads/feature/x", False),
        ("{push: {branches: ['**', '!feature/**']}}", "push", "refs/heads/feature/x", False),
        ("{push: {branches: ['feature/*']}}", "push", "refs/heads/feature/x", True),
        ("{push: {branches-ignore: [main]}}", "push", "refs/heads/main", False),
        ("{push: {tags: ['v*']}}", "push", "refs/heads/main", False),
        ("{pull_request: {branches: [main]}}", "pull_request", "refs/pull/7/merge", True),
        ("[push]", "pull_request", "refs/pull/7/merge", False),
        ("{workflow_call: {}}", "pull_request", "refs/pull/7/merge", True),  # the caller decides
    ],
)
def test_triggers(tmp_path: Path, on: str, event: str, ref: str, expected: bool) -> None:
    wf = load(write(tmp_path, f"on: {on}\njobs:\n  a: {{runs-on: x, steps: [{{run: 'true'}}]}}\n"))
    assert triggered(wf, event, ref) is expected


RUN_ON_CI = "{workflow_run: {workflows: [ci], types: [completed], branches: [main]}}"


@pytest.mark.parametrize(
    ("on", "event", "payload", "expected"),
    [
        (
            RUN_ON_CI,
            "workflow_run",
            {"action": "completed", "workflow_run": {"name": "ci", "head_branch": "main"}},
            True,
        ),
        (RUN_ON_CI, "workflow_run", {"action": "requested", "workflow_run": {"name": "ci"}}, False),
        (RUN_ON_CI, "workflow_run", {"action": "completed", "workflow_run": {"name": "other"}}, False),
        (RUN_ON_CI, "workflow_run", {"workflow_run": {"name": "ci", "head_branch": "feature/x"}}, False),
        (RUN_ON_CI, "workflow_run", {}, True),  # what the payload does not say may match
        ("{pull_request: {}}", "pull_request", {"action": "closed"}, False),  # default types
        ("{pull_request: {types: [closed]}}", "pull_request", {"action": "closed"}, True),
        ("{pull_request: {types: [opened]}}", "pull_request", {"action": "synchronize"}, False),
    ],
)
def test_triggers_read_the_payload(
    tmp_path: Path, on: str, event: str, payload: dict[str, Any], expected: bool
) -> None:
    wf = load(write(tmp_path, f"on: {on}\njobs:\n  a: {{runs-on: x, steps: [{{run: 'true'}}]}}\n"))
    assert triggered(wf, event, "refs/heads/main", payload) is expected


def test_a_payload_the_scenario_omits_is_unknown_so_the_job_may_run(tmp_path: Path) -> None:
    text = "on: workflow_run\njobs:\n  deploy:\n    if: github.event.workflow_run.conclusion == 'success'\n"
    wf = load(write(tmp_path, text + "    runs-on: x\n    steps: [{run: infra deploy --env prod}]\n"))
    outcomes = {"deploy": "success"}
    blind = simulate(wf, Scenario("workflow_run", "refs/heads/main", False, outcomes))
    red = {"event": {"workflow_run": {"conclusion": "failure"}}}
    assert blind.ran == {"deploy"} and blind.upstream == {}
    assert violations(wf, blind) == [  # ... and then the property fails: a gap cannot hide a hole
        "deploy ran although the triggering run's conclusion=unknown, the triggering run's "
        "event=unknown, the triggering run's head_branch=unknown",
        "deploy ran without a staging integration job among its needs",
    ]
    assert simulate(wf, Scenario("workflow_run", "refs/heads/main", False, outcomes, red)).ran == set()


@pytest.mark.parametrize(
    ("jobs", "message"),
    [
        ("  a: {needs: [b], runs-on: x}\n  b: {needs: a, runs-on: x}\n", "needs form a cycle: a -> b -> a"),
        ("  a: {needs: [nope], runs-on: x}\n", "job a needs 'nope', which is not a job"),
    ],
)
def test_broken_needs_are_workflow_errors(tmp_path: Path, jobs: str, message: str) -> None:
    with pytest.raises(WorkflowError, match=re.escape(message)):
        load(write(tmp_path, "on: push\njobs:\n" + jobs))


def test_release_jobs_are_recognised_by_name_or_by_what_they_do(tmp_path: Path) -> None:
    wf = load(
        write(
            tmp_path,
            """\
on: push
jobs:
  lint: {runs-on: x, steps: [{run: infra ci lint --path .}]}
  image: {runs-on: x, steps: [{uses: docker/build-push-action@0000000000000000000000000000000000000000}]}
  ship: {runs-on: x, steps: [{run: infra deploy --env prod}]}
  publish-docs: {runs-on: x, steps: [{run: "true"}]}
  other: {uses: org/repo/.github/workflows/x.yml@main}
""",
        )
    )
    assert {j for j, spec in wf.jobs.items() if spec.is_release} == {"image", "ship", "publish-docs", "other"}


# --- the promises the two CI workflows make ------------------------------------------------


def doc(name: str) -> dict[str, Any]:
    data = load_yaml((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("name", OURS + CD)
def test_every_action_is_pinned_to_a_full_sha_with_its_release_tag(name: str) -> None:
    uses = re.findall(USES + r"(.*)", (WORKFLOWS / name).read_text(encoding="utf-8"), re.MULTILINE)
    assert uses
    for action, ref, comment in uses:
        assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{action}@{ref} is not a commit SHA"
        assert re.fullmatch(r"\s*# v\d+\.\d+\.\d+", comment), f"{action}@{ref}: no '# vX.Y.Z'"


def test_our_workflows_pin_the_same_commit_of_each_action() -> None:
    pins: dict[str, set[str]] = {}
    for name in OURS + CD:
        for action, ref in re.findall(USES, (WORKFLOWS / name).read_text(encoding="utf-8"), re.MULTILINE):
            pins.setdefault(action, set()).add(ref)
    assert {a: r for a, r in pins.items() if len(r) > 1} == {}


@pytest.mark.parametrize("name", OURS)
def test_least_privilege_timeouts_and_concurrency(name: str) -> None:
    data = doc(name)
    assert data["permissions"] == {}
    assert data["concurrency"]["group"] == "ci-${{ github.workflow }}-${{ github.ref }}"
    assert data["concurrency"]["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"
    jobs = data["jobs"]
    assert set(jobs) == {"lint", "test", "security", "build", "ci-gate"}
    for jid, job in jobs.items():
        assert "timeout-minutes" in job, jid
        assert "permissions" in job, jid
        assert job["permissions"].get("id-token") == ("write" if jid == "build" else None), jid
        assert set(job["permissions"].values()) <= {"read", "write"}
        assert set(job["permissions"]) <= {"contents", "id-token"}
    assert jobs["build"]["needs"] == ["lint", "test", "security"] and "if" not in jobs["build"]
    assert jobs["ci-gate"]["needs"] == ["lint", "test", "security", "build"]
    assert jobs["ci-gate"]["if"] == "always()"


@pytest.mark.parametrize("name", OURS)
def test_build_pushes_to_ecr_in_af_south_1_with_oidc_only_on_a_push(name: str) -> None:
    data = doc(name)
    build = data["jobs"]["build"]
    steps = {s.get("uses", "").split("@")[0]: s for s in build["steps"]}
    creds = steps["aws-actions/configure-aws-credentials"]
    assert creds["if"] == "env.PUSH == 'true'" and "role-to-assume" in creds["with"]
    assert not {"aws-access-key-id", "aws-secret-access-key"} & set(creds["with"])
    assert steps["aws-actions/amazon-ecr-login"]["if"] == "env.PUSH == 'true'"
    build_step = steps["docker/build-push-action"]["with"]
    assert build_step["load"] is True and "push" not in build_step  # loaded, run, then pushed
    assert build_step["tags"].endswith(":${{ github.sha }}")
    assert "APP_VERSION=${{ github.sha }}" in build_step["build-args"]
    pushes = [s for s in build["steps"] if "docker push" in s.get("run", "")]
    assert len(pushes) == 1 and pushes[0]["if"] == "env.PUSH == 'true'"
    assert "github.event_name == 'push'" in build["env"]["PUSH"]
    region = (
        data["env"]["AWS_REGION"]
        if name == "ci.yml"
        else data["on"]["workflow_call"]["inputs"]["aws-region"]["default"]
    )
    assert region == "af-south-1"


def _group_files(args: list[str]) -> set[Path]:
    """Test files a pytest command line selects by path (markers are checked separately)."""
    paths = [a for i, a in enumerate(args) if not a.startswith("-") and (i == 0 or args[i - 1] != "-m")]
    ignored = [REPO / a.split("=", 1)[1] for a in args if a.startswith("--ignore=")]
    files = {f for p in paths for f in ([REPO / p] if p.endswith(".py") else (REPO / p).rglob("test_*.py"))}
    return {f for f in files if not any(f == i or i in f.parents for i in ignored)}


def test_the_test_matrix_runs_every_test_file_exactly_once() -> None:
    """`make test`'s pytest split: the unit group is `infra ci test --path .` (ci/coverage.json's
    pytest_args), the others are pytest command lines; together they are tests/, once."""
    groups = [g for g in doc("ci.yml")["jobs"]["test"]["strategy"]["matrix"]["include"] if g["path"] == "."]
    coverage = json.loads((REPO / "ci" / "coverage.json").read_text(encoding="utf-8"))
    unit_args: list[str] = coverage["python"]["pytest_args"]
    selected: dict[Path, list[str]] = {}
    for g in groups:
        for f in _group_files(shlex.split(g["pytest"]) if g["pytest"] else unit_args):
            selected.setdefault(f, []).append(g["group"])
    every = set((REPO / "tests").rglob("test_*.py")) - set((REPO / "tests" / "fixtures").rglob("*"))
    assert {str(f.relative_to(REPO)): gs for f, gs in selected.items() if len(gs) > 1} == {}
    assert sorted(str(f.relative_to(REPO)) for f in every - set(selected)) == []
    # the unit group deselects `integration`-marked tests: none may hide in its directories
    marked = [
        f
        for f, gs in selected.items()
        if gs == ["unit"] and INTEGRATION_MARK.search(f.read_text(encoding="utf-8"))
    ]
    assert marked == []
