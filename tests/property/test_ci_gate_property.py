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
