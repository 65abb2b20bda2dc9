"""The promises the CD workflows make (.github/workflows/cd.yml, rollback.yml, preview.yml): their
shape, their job semantics on named runs, and their shell steps executed with bash against a
recording stand-in for `infra` and `gh`. Property 1 over them, with mutants, is in
tests/property/test_ci_gate_property.py; the scripts/*.sh wrappers in test_cd_scripts.py."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from deployment_infra.ci import workflow_expr as expr
from deployment_infra.ci.workflow_model import Scenario, load, load_yaml, simulate, violations
from tests.conftest import REPO

WORKFLOWS = REPO / ".github" / "workflows"
CD = ("cd.yml", "rollback.yml", "preview.yml")
AWS_ACTION = "aws-actions/configure-aws-credentials"
GUARD = (
    "github.event.workflow_run.conclusion == 'success'",
    "github.event.workflow_run.event == 'push'",
    "github.event.workflow_run.head_branch == 'main'",
)
REPOSITORY = "org/deployment-infra"


def doc(name: str) -> dict[str, Any]:
    data = load_yaml((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def step(job: dict[str, Any], name: str) -> dict[str, Any]:
    found = [s for s in job["steps"] if s.get("name") == name]
    assert len(found) == 1, f"no single step named {name!r}"
    return found[0]


def uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(action + "@")]


# --- cd.yml -----------------------------------------------------------------------------------


def test_cd_starts_when_ci_completes_on_main() -> None:
    assert doc("cd.yml")["on"] == {
        "workflow_run": {"workflows": [doc("ci.yml")["name"]], "types": ["completed"], "branches": ["main"]}
    }


def test_every_cd_job_is_guarded_and_only_the_recording_step_and_summary_run_always() -> None:
    jobs = doc("cd.yml")["jobs"]
    assert list(jobs) == ["deploy-staging", "integration-staging", "deploy-prod", "summary"]
    for jid, job in jobs.items():
        assert all(g in job["if"] for g in GUARD), jid
        status = re.findall(r"\b(always|failure|cancelled|success)\(\)", job["if"])
        assert status == (["always"] if jid == "summary" else []), jid
    assert jobs["integration-staging"]["needs"] == ["deploy-staging"]
    assert jobs["deploy-prod"]["needs"] == ["deploy-staging", "integration-staging"]
    assert jobs["summary"]["permissions"] == {} and not uses(jobs["summary"], AWS_ACTION)
    always = [
        (j, s.get("name")) for j, job in jobs.items() for s in job["steps"] if "always()" in s.get("if", "")
    ]
    assert always == [("integration-staging", "Record the outcome for production's gate")]


def test_cd_deploys_the_image_ci_pushed_for_the_commit_it_checks_out() -> None:
    data = doc("cd.yml")
    assert data["env"]["HEAD_SHA"] == "${{ github.event.workflow_run.head_sha }}"
    assert data["env"]["ECR_REPOSITORY"] == doc("ci.yml")["env"]["ECR_REPOSITORY"]
    jobs = data["jobs"]
    for jid in ("deploy-staging", "integration-staging", "deploy-prod"):
        (checkout,) = uses(jobs[jid], "actions/checkout")
        assert checkout["with"]["ref"] == "${{ github.event.workflow_run.head_sha }}", jid
    assert jobs["deploy-staging"]["environment"] == "staging"
    assert jobs["integration-staging"]["environment"] == "staging"
    assert jobs["deploy-prod"]["environment"] == "production"  # its required reviewers approve
    runs = {jid: "\n".join(s.get("run", "") for s in job["steps"]) for jid, job in jobs.items()}
    assert 'infra deploy --env staging --image "$IMAGE" --yes --target aws --json' in runs["deploy-staging"]
    assert 'infra deploy --env prod --image "$IMAGE" --yes --target aws' in runs["deploy-prod"]
    assert 'infra smoke --env staging --version "$HEAD_SHA" --target aws' in runs["integration-staging"]
    assert "scripts/integration-test.sh staging --target aws" in runs["integration-staging"]
    record = 'infra integration record --env staging --image "$IMAGE" --outcome "$outcome" --url "$RUN_URL"'
    assert record in runs["integration-staging"]


def _cd_run(conclusion: str = "success", event: str = "push", **outcomes: str) -> set[str]:
    wf = load(WORKFLOWS / "cd.yml")
    upstream = {"name": "ci", "conclusion": conclusion, "event": event, "head_branch": "main"}
    github = {"repository": REPOSITORY, "event": {"action": "completed", "workflow_run": upstream}}
    results = {j: outcomes.get(j.replace("-", "_"), "success") for j in wf.jobs}
    run = simulate(wf, Scenario("workflow_run", "refs/heads/main", False, results, github))
    assert violations(wf, run) == []
    return set(run.ran)


def test_cd_runs_in_order_and_stops_where_a_job_fails() -> None:
    every = {"deploy-staging", "integration-staging", "deploy-prod", "summary"}
    assert _cd_run() == every
    assert _cd_run(integration_staging="failure") == every - {"deploy-prod"}
    assert _cd_run(deploy_staging="failure") == {"deploy-staging", "summary"}
    assert _cd_run(conclusion="failure") == set()  # a red CI run: not even the summary
    assert _cd_run(event="pull_request") == set()  # CI on a pull request whose branch is "main"


# --- hygiene of the three workflows -------------------------------------------------------------


@pytest.mark.parametrize("name", CD)
def test_least_privilege_timeouts_concurrency_and_caches(name: str) -> None:
    data = doc(name)
    assert data["permissions"] == {}
    assert data["env"]["AWS_REGION"] == "af-south-1"
    for jid, job in data["jobs"].items():
        assert isinstance(job["timeout-minutes"], int) and 0 < job["timeout-minutes"] <= 60, jid
        perms = job["permissions"]
        aws = uses(job, AWS_ACTION)
        assert perms.get("id-token") == ("write" if aws else None), jid
        expected_pr = {("preview.yml", "up"): "write", ("preview.yml", "reap"): "read"}.get((name, jid))
        assert perms.get("pull-requests") == expected_pr, jid
        assert set(perms) <= {"contents", "id-token", "pull-requests"}, jid
        assert perms.get("contents") == ("read" if job["steps"][0].get("uses") else None), jid
        for creds in aws:
            assert creds["with"]["role-to-assume"] == "${{ secrets.AWS_DEPLOY_ROLE_ARN }}", jid
            assert creds["with"]["aws-region"] == "${{ env.AWS_REGION }}", jid
            assert not {"aws-access-key-id", "aws-secret-access-key"} & set(creds["with"]), jid
        if aws:  # an environment: its secret holds the role, its protection rules apply
            assert job["environment"] and job["concurrency"]["cancel-in-progress"] is False, jid
        for python in uses(job, "actions/setup-python"):
            assert python["with"]["cache"] == "pip", jid
        for checkout in uses(job, "actions/checkout"):
            assert checkout["with"]["persist-credentials"] is False, jid


@pytest.mark.parametrize("name", CD)
def test_event_data_reaches_scripts_only_through_env(name: str) -> None:
    """`${{ }}` inside a script is pasted into the shell before it runs: a branch name or a title
    would be code. Every value goes through `env:`."""
    for jid, job in doc(name)["jobs"].items():
        for s in job["steps"]:
            assert "${{" not in s.get("run", ""), f"{name} {jid} {s.get('name')}"


def test_concurrency_groups_are_per_environment_and_shared_with_rollback() -> None:
    cd = doc("cd.yml")["jobs"]
    assert [
        cd[j]["concurrency"]["group"] for j in ("deploy-staging", "integration-staging", "deploy-prod")
    ] == [
        "deploy-staging",
        "deploy-staging",
        "deploy-production",
    ]
    rollback = doc("rollback.yml")["jobs"]["rollback"]
    for env, github_env in (("staging", "staging"), ("prod", "production")):
        ctx = {"inputs": expr.Strict(environment=env, release="")}
        assert expr.interpolate(rollback["environment"], ctx, {}) == github_env
        assert expr.interpolate(rollback["concurrency"]["group"], ctx, {}) == f"deploy-{github_env}"


# --- rollback.yml and preview.yml ---------------------------------------------------------------


def test_rollback_is_dispatched_with_an_environment_and_an_optional_release() -> None:
    on = doc("rollback.yml")["on"]
    assert list(on) == ["workflow_dispatch"]
    inputs = on["workflow_dispatch"]["inputs"]
    assert inputs["environment"]["type"] == "choice" and inputs["environment"]["options"] == [
        "staging",
        "prod",
    ]
    assert inputs["release"]["required"] is False and inputs["release"]["default"] == ""


@pytest.mark.parametrize(
    ("action", "fork", "author", "ran"),
    [
        ("opened", False, "dev", {"up"}),
        ("synchronize", False, "dev", {"up"}),
        ("reopened", False, "dev", {"up"}),
        ("closed", False, "dev", {"down"}),
        ("opened", True, "dev", set()),  # a fork: no secrets, no AWS
        ("closed", True, "dev", set()),
        ("opened", False, "dependabot[bot]", set()),
    ],
)
def test_preview_jobs_by_pull_request_event(action: str, fork: bool, author: str, ran: set[str]) -> None:
    wf = load(WORKFLOWS / "preview.yml")
    head = "fork/deployment-infra" if fork else REPOSITORY
    pr = {"head": {"repo": {"full_name": head}}, "user": {"login": author}}
    github = {"repository": REPOSITORY, "event": {"action": action, "number": 7, "pull_request": pr}}
    outcomes = dict.fromkeys(wf.jobs, "success")
    assert simulate(wf, Scenario("pull_request", "refs/pull/7/merge", False, outcomes, github)).ran == ran
    for event in ("schedule", "workflow_dispatch"):
        assert simulate(wf, Scenario(event, "refs/heads/main", False, outcomes, {"event": {}})).ran == {
            "reap"
        }


# --- the workflows' shell steps, executed -------------------------------------------------------

STUB = """#!{python}
import json, os, sys
with open(os.environ["CALLS"], "a", encoding="utf-8") as f:
    f.write(json.dumps([os.path.basename(sys.argv[0]), *sys.argv[1:]]) + "\\n")
sys.stdout.write(os.environ.get("STUB_OUT", "") + "\\n")
sys.exit(int(os.environ.get("STUB_EXIT", "0")))
"""


def stub_bin(tmp_path: Path, *names: str) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name in names:
        tool = bin_dir / name
        tool.write_text(STUB.format(python=sys.executable), encoding="utf-8")
        tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    return bin_dir


def run_bash(script: str, tmp_path: Path, env: dict[str, str], cwd: Path | None = None) -> list[list[str]]:
    """A step's script as the runner runs it (bash --noprofile --norc -eo pipefail), with the stubs
    first on PATH; returns the stubs' calls."""
    calls = tmp_path / "calls.jsonl"
    calls.unlink(missing_ok=True)
    (tmp_path / "summary.md").touch()
    base = {
        "PATH": f"{tmp_path / 'bin'}{os.pathsep}/usr/bin:/bin",
        "CALLS": str(calls),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
    }
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        env={**base, **env},
        cwd=cwd or tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return (
        [json.loads(line) for line in calls.read_text(encoding="utf-8").splitlines()]
        if calls.exists()
        else []
    )


@pytest.mark.parametrize(
    ("release", "expected"),
    [("", []), ("r000042", ["--to", "r000042"])],
)
def test_rollback_step_passes_the_release_only_when_given(
    tmp_path: Path, release: str, expected: list[str]
) -> None:
    stub_bin(tmp_path, "infra")
    script = step(doc("rollback.yml")["jobs"]["rollback"], "infra rollback")["run"]
    calls = run_bash(script, tmp_path, {"ENV_NAME": "prod", "RELEASE": release, "STUB_OUT": "{}"})
    assert calls == [["infra", "rollback", "--env", "prod", "--yes", "--target", "aws", "--json", *expected]]


@pytest.mark.parametrize(
    ("smoke", "suite", "outcome"),
    [
        ("success", "success", "passed"),
        ("failure", "skipped", "failed"),
        ("success", "failure", "failed"),
        ("cancelled", "cancelled", "failed"),
    ],
)
def test_the_staging_outcome_is_recorded_passed_only_when_smoke_and_suite_passed(
    tmp_path: Path, smoke: str, suite: str, outcome: str
) -> None:
    stub_bin(tmp_path, "infra")
    script = step(doc("cd.yml")["jobs"]["integration-staging"], "Record the outcome for production's gate")[
        "run"
    ]
    env = {"SMOKE": smoke, "SUITE": suite, "IMAGE": "r.example/ngapp-dev/api:abc", "RUN_URL": "https://run/1"}
    assert run_bash(script, tmp_path, env) == [
        [
            *("infra", "integration", "record", "--env", "staging", "--image", "r.example/ngapp-dev/api:abc"),
            *("--outcome", outcome, "--url", "https://run/1", "--target", "aws"),
        ]
    ]


def test_the_reaper_passes_the_open_pull_requests(tmp_path: Path) -> None:
    stub_bin(tmp_path, "gh", "infra")
    job = doc("preview.yml")["jobs"]["reap"]
    calls = run_bash(step(job, "Open pull requests")["run"], tmp_path, {"STUB_OUT": "3,9"})
    assert calls[0][:4] == ["gh", "pr", "list", "--state"] and "--json" in calls[0]
    assert (tmp_path / "output").read_text(encoding="utf-8") == "prs=3,9\n"
    calls = run_bash(step(job, "infra preview reap")["run"], tmp_path, {"OPEN_PRS": "3,9", "TTL_HOURS": "72"})
    assert calls == [
        ["infra", "preview", "reap", "--ttl-hours", "72", "--open-prs", "3,9", "--target", "aws", "--json"]
    ]


def test_preview_up_passes_the_pull_request_and_hands_its_url_to_the_comment(tmp_path: Path) -> None:
    stub_bin(tmp_path, "infra")
    script = step(doc("preview.yml")["jobs"]["up"], "infra preview up")["run"]
    env = {
        "PR": "7",
        "HEAD_SHA": "b" * 40,
        "STUB_OUT": '{"pr": 7, "url": "https://pr-7.preview.ngapp.example"}',
    }
    calls = run_bash(script, tmp_path, env)
    assert calls == [
        ["infra", "preview", "up", "--pr", "7", "--head-sha", "b" * 40, "--target", "aws", "--json"]
    ]
    assert (tmp_path / "output").read_text(encoding="utf-8") == "url=https://pr-7.preview.ngapp.example\n"


@pytest.mark.parametrize(("existing", "edits"), [("", False), ("4242", True)])
def test_the_preview_comment_is_created_once_then_updated(tmp_path: Path, existing: str, edits: bool) -> None:
    stub_bin(tmp_path, "gh")
    script = step(doc("preview.yml")["jobs"]["up"], "Comment the URL on the pull request")["run"]
    env = {"GH_REPO": REPOSITORY, "PR": "7", "URL": "https://pr-7.example", "HEAD_SHA": "b" * 40}
    env |= {"TTL_HOURS": "72", "STUB_OUT": existing}
    calls = run_bash(script, tmp_path, env)
    assert calls[0][:4] == ["gh", "api", "--paginate", f"repos/{REPOSITORY}/issues/7/comments"]
    body = calls[1][-1].removeprefix("body=")  # `gh api -f body=...` or `gh pr comment --body ...`
    assert body.startswith("<!-- infra-preview -->\n") and "https://pr-7.example" in body and "b" * 40 in body
    if edits:
        assert calls[1][:5] == ["gh", "api", "--method", "PATCH", f"repos/{REPOSITORY}/issues/comments/4242"]
    else:
        assert calls[1][:5] == ["gh", "pr", "comment", "7", "--body"]
