"""Property 1, CI Gate Enforcement.

A model built by reading the real workflow files (.github/workflows/ci.yml and ci-reusable.yml:
jobs, `needs`, `if` conditions, triggers, and the gate's own script, run with bash) is played over
random runs: the trigger, whether the run was cancelled, and the outcome of every job (success,
failure, cancelled, skipped). In no run does a build/push/deploy job run unless lint, test and
security succeeded, and ci-gate never succeeds unless every job it needs succeeded.

The model is shown able to catch the holes the property is about: mutated copies of each
workflow (security dropped from the build job's needs, `if: always()` on the build job, a gate
that accepts skipped jobs, a gate that does not need build) each get a counterexample, found
deterministically.

The CD workflows (cd.yml, rollback.yml, preview.yml) are played the same way, with the event's
payload drawn too (for cd.yml's `workflow_run`: the triggering run's workflow, conclusion, event and
branch; for a pull request: its action and whether it comes from a fork): no deploy runs unless the
triggering CI run succeeded for a push to main, production only after staging integration passed,
and no job holding AWS credentials runs for a fork's pull request or after a red CI run. Mutants
(deploy-prod not needing integration-staging, `if: always()` on a deploy, the conclusion or event
check dropped, the fork guard dropped, a rollback that deploys) are each caught.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from deployment_infra.ci.workflow_model import (
    EVENTS,
    GATE,
    OUTCOMES,
    Scenario,
    Workflow,
    load,
    load_yaml,
    simulate,
    structure_violations,
    violations,
)
from tests.conftest import REPO

WORKFLOWS = REPO / ".github" / "workflows"
REAL = ("ci.yml", "ci-reusable.yml")
GATE_CHECK = 'info["result"] != "success"'


def scenarios(wf: Workflow) -> st.SearchStrategy[Scenario]:
    outcomes = st.fixed_dictionaries({j: st.sampled_from(OUTCOMES) for j in wf.jobs})
    return st.builds(
        lambda ev, cancelled, out: Scenario(ev[0], ev[1], cancelled, out),
        st.sampled_from(EVENTS),
        st.booleans(),
        outcomes,
    )


def all_violations(wf: Workflow, sc: Scenario) -> list[str]:
    return structure_violations(wf) + violations(wf, simulate(wf, sc))


@pytest.mark.parametrize("name", REAL)
def test_gate_property_holds_on_the_real_workflow(name: str) -> None:
    wf = load(WORKFLOWS / name)
    assert structure_violations(wf) == []
    seen: set[tuple[str, str]] = set()

    @settings(max_examples=100, deadline=None, database=None)
    @given(scenarios(wf))
    def prop(sc: Scenario) -> None:
        run = simulate(wf, sc)
        seen.update((j, r) for j, r in run.results.items())
        assert violations(wf, run) == [], sc

    prop()
    # the runs exercised both sides of the gate, not only runs where nothing happened
    assert ("build", "success") in seen and ("build", "skipped") in seen
    assert (GATE, "success") in seen and (GATE, "failure") in seen


def _mutant(tmp_path: Path, name: str, change: Any) -> Workflow:
    """A copy of the real workflow with `change` applied to its YAML data (or text), loaded."""
    text = (WORKFLOWS / name).read_text(encoding="utf-8")
    if isinstance(change, tuple):
        old, new = change
        assert text.count(old) == 1, f"{name}: {old!r} must occur once"
        text = text.replace(old, new)
    else:
        doc = load_yaml(text)
        change(doc)
        text = yaml.safe_dump(doc, sort_keys=False)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load(path)


def _counterexample(wf: Workflow) -> list[str]:
    """The first run that breaks the property (Hypothesis' search, derandomized: deterministic)."""
    quick = settings(
        max_examples=500,
        database=None,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    sc = find(scenarios(wf), lambda s: bool(violations(wf, simulate(wf, s))), settings=quick)
    return violations(wf, simulate(wf, sc))


def _drop_security(doc: dict[str, Any]) -> None:
    doc["jobs"]["build"]["needs"] = [n for n in doc["jobs"]["build"]["needs"] if n != "security"]


def _always_build(doc: dict[str, Any]) -> None:
    doc["jobs"]["build"]["if"] = "always()"


@pytest.mark.parametrize("name", REAL)
def test_build_without_security_in_needs_is_caught(name: str, tmp_path: Path) -> None:
    found = _counterexample(_mutant(tmp_path, name, _drop_security))
    assert any(v.startswith("build ran although") and "security=" in v for v in found), found


@pytest.mark.parametrize("name", REAL)
def test_build_with_if_always_is_caught(name: str, tmp_path: Path) -> None:
    found = _counterexample(_mutant(tmp_path, name, _always_build))
    assert any(v.startswith("build ran although") for v in found), found


@pytest.mark.parametrize("name", REAL)
def test_gate_accepting_skipped_is_caught(name: str, tmp_path: Path) -> None:
    lax = 'info["result"] not in ("success", "skipped")'
    found = _counterexample(_mutant(tmp_path, name, (GATE_CHECK, lax)))
    assert any(v.startswith(f"{GATE} succeeded although") and "=skipped" in v for v in found), found


@pytest.mark.parametrize("name", REAL)
def test_gate_that_does_not_need_build_is_caught(name: str, tmp_path: Path) -> None:
    def drop(doc: dict[str, Any]) -> None:
        doc["jobs"][GATE]["needs"] = ["lint", "test", "security"]

    wf = _mutant(tmp_path, name, drop)
    assert structure_violations(wf) == [f"{GATE} does not need 'build'"]


def test_deploy_job_with_a_lax_condition_is_caught(tmp_path: Path) -> None:
    """A job added after the gate's stages, recognised as a deploy by its steps, not its name."""

    def add(doc: dict[str, Any]) -> None:
        doc["jobs"]["ship"] = {
            "needs": ["build"],
            "if": "${{ !cancelled() && github.event_name == 'push' }}",
            "runs-on": "ubuntu-24.04",
            "steps": [{"run": "infra deploy --env staging"}],
        }
        doc["jobs"][GATE]["needs"].append("ship")

    found = _counterexample(_mutant(tmp_path, "ci.yml", add))
    assert any(v.startswith("ship ran although") for v in found), found


# --- the CD workflows: the triggering run and the event's payload are drawn too ----------------

CD = ("cd.yml", "rollback.yml", "preview.yml")
REPOSITORY = "org/deployment-infra"
CONCLUSIONS = ("success", "failure", "cancelled", "skipped", "timed_out", "action_required", "neutral")
ACTIONS = {
    "workflow_run": ("completed", "requested", "in_progress"),
    "pull_request": ("opened", "synchronize", "reopened", "closed", "edited"),
}
CD_EVENTS = (*EVENTS, ("workflow_run", "refs/heads/main"), ("schedule", "refs/heads/main"))
AWS_ACTION = "aws-actions/configure-aws-credentials"


def _mostly(value: Any, values: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    """`value` about half the time, else any of `values`: runs that get far are not rare."""
    return st.one_of(st.just(value), st.sampled_from(values))


def _payload(action: str | None, upstream: dict[str, Any], fork: bool, bot: bool, inputs: Any) -> Any:
    pull_request = {
        "head": {"repo": {"full_name": "fork/deployment-infra" if fork else REPOSITORY}, "sha": "b" * 40},
        "user": {"login": "dependabot[bot]" if bot else "dev"},
    }
    payload = {"workflow_run": upstream, "number": 7, "pull_request": pull_request, "inputs": inputs}
    return {"repository": REPOSITORY, "event": payload | ({"action": action} if action else {})}


@st.composite
def cd_scenarios(draw: st.DrawFn, wf: Workflow) -> Scenario:
    own = [e for e in CD_EVENTS if e[0] in wf.triggers]
    event, ref = draw(st.one_of(st.sampled_from(own), st.sampled_from(CD_EVENTS)))
    upstream = {
        "name": draw(_mostly("ci", ("ci", "cd", "other"))),
        "conclusion": draw(_mostly("success", CONCLUSIONS)),
        "event": draw(_mostly("push", ("push", "pull_request", "workflow_dispatch", "schedule"))),
        "head_branch": draw(_mostly("main", ("main", "feature/x"))),
        "head_sha": "a" * 40,
    }
    inputs = {
        "environment": draw(st.sampled_from(("staging", "prod"))),
        "release": draw(st.sampled_from(("", "r000007"))),
    }
    action = draw(_mostly(ACTIONS[event][0], ACTIONS[event])) if event in ACTIONS else None
    fork, bot = draw(_mostly(False, (True,))), draw(_mostly(False, (True,)))
    outcomes = draw(st.fixed_dictionaries({j: _mostly("success", OUTCOMES) for j in wf.jobs}))
    cancelled = draw(_mostly(False, (True,)))
    return Scenario(event, ref, cancelled, outcomes, _payload(action, upstream, fork, bot, inputs))


def untrusted_aws(wf: Workflow, sc: Scenario) -> list[str]:
    """Jobs that hold AWS credentials in a run nobody trusted: a fork's or Dependabot's pull
    request, a `workflow_run` whose CI run did not pass on a push to main, any other event but a
    person's dispatch or the schedule."""
    run = simulate(wf, sc)
    event = sc.github.get("event", {})
    upstream = event.get("workflow_run", {})
    pr = event.get("pull_request", {})
    trusted = {
        "workflow_dispatch": True,
        "schedule": True,
        "workflow_run": (upstream.get("conclusion"), upstream.get("event"), upstream.get("head_branch"))
        == ("success", "push", "main"),
        "pull_request": pr.get("head", {}).get("repo", {}).get("full_name") == sc.github.get("repository")
        and pr.get("user", {}).get("login") != "dependabot[bot]",
    }.get(sc.event, False)
    aws = [j for j in sorted(run.ran) if any(s.uses.startswith(AWS_ACTION) for s in wf.jobs[j].steps)]
    return [] if trusted else [f"{j} holds AWS credentials in an untrusted {sc.event} run" for j in aws]


def cd_violations(wf: Workflow, sc: Scenario) -> list[str]:
    return violations(wf, simulate(wf, sc)) + untrusted_aws(wf, sc)


# what the 100 runs must have reached, so that the property is not true only because nothing ran
EXERCISED = {
    "cd.yml": {("deploy-prod", "success"), ("deploy-prod", "skipped"), ("deploy-staging", "skipped")},
    "rollback.yml": {("rollback", "success")},
    "preview.yml": {("up", "success"), ("up", "skipped"), ("reap", "success")},
}


@pytest.mark.parametrize("name", CD)
def test_release_property_holds_on_the_cd_workflows(name: str) -> None:
    wf = load(WORKFLOWS / name)
    seen: set[tuple[str, str]] = set()

    @settings(max_examples=100, deadline=None, database=None)
    @given(cd_scenarios(wf))
    def prop(sc: Scenario) -> None:
        seen.update(simulate(wf, sc).results.items())
        assert cd_violations(wf, sc) == [], sc

    prop()
    assert EXERCISED[name] <= seen, EXERCISED[name] - seen


def _cd_counterexample(wf: Workflow) -> list[str]:
    quick = settings(
        max_examples=1000,
        database=None,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    sc = find(cd_scenarios(wf), lambda s: bool(cd_violations(wf, s)), settings=quick)
    return cd_violations(wf, sc)


GUARD_CONCLUSION = "github.event.workflow_run.conclusion == 'success' && "
GUARD_EVENT = "github.event.workflow_run.event == 'push' && "


def _edit_job(job: str, key: str, value: Any) -> Any:
    def change(doc: dict[str, Any]) -> None:
        doc["jobs"][job][key] = value(doc["jobs"][job][key]) if callable(value) else value

    return change


@pytest.mark.parametrize(
    ("name", "change", "expected"),
    [
        (
            "cd.yml",
            _edit_job("deploy-prod", "needs", ["deploy-staging"]),
            "deploy-prod ran without a staging",
        ),
        ("cd.yml", _edit_job("deploy-prod", "if", "always()"), "deploy-prod ran although"),
        ("cd.yml", _edit_job("deploy-staging", "if", "always()"), "deploy-staging ran although"),
        (
            "cd.yml",
            _edit_job("deploy-staging", "if", lambda c: c.replace(GUARD_CONCLUSION, "")),
            "deploy-staging ran although the triggering run's conclusion=",
        ),
        (
            "cd.yml",
            _edit_job("deploy-staging", "if", lambda c: c.replace(GUARD_EVENT, "")),
            "deploy-staging ran although the triggering run's event=",
        ),
        (
            "cd.yml",
            _edit_job("integration-staging", "if", "always()"),
            "integration-staging holds AWS credentials in an untrusted workflow_run run",
        ),
        (
            "preview.yml",
            _edit_job("up", "if", "github.event.action != 'closed'"),
            "up holds AWS credentials in an untrusted pull_request run",
        ),
        (
            "rollback.yml",
            _edit_job("rollback", "steps", lambda steps: [*steps, {"run": "infra deploy --env prod --yes"}]),
            "rollback ran although lint=absent",
        ),
    ],
    ids=[
        "prod-without-integration",
        "always-prod",
        "always-staging",
        "no-conclusion-check",
        "no-push-check",
        "always-integration",
        "preview-without-fork-guard",
        "rollback-that-deploys",
    ],
)
def test_cd_mutants_are_caught(name: str, change: Any, expected: str, tmp_path: Path) -> None:
    found = _cd_counterexample(_mutant(tmp_path, name, change))
    assert any(v.startswith(expected) for v in found), found
