"""An executable model of a GitHub Actions workflow, read from its YAML, for the CI gate property.

`load` reads jobs, `needs`, `if` conditions, steps and triggers. `simulate` plays one run: the
trigger (event and ref), whether the run was cancelled, and the outcome of every job that does
real work. A job starts once its needs are done, if its condition holds: GitHub prefixes a
condition without a status check with `success()`, and success() means every ancestor job (the
transitive needs) succeeded and the run was not cancelled; a job that does not start is
`skipped`. The gate job (ci-gate) is executed for real: its `run:` steps with bash, their
`${{ }}` templates evaluated, so the model checks the gate's own script (only the gate: the
other jobs' scripts deploy and build, and their outcome is what a run draws). Whatever the model cannot
know (an unparseable condition, a secret, hashFiles) is taken the permissive way: the job may
run, the gate's step passes. So a gap in the model can only make the property fail, never hide a
hole. `violations` is Property 1: a build/push/deploy job runs only after lint, test and security
succeeded, and ci-gate succeeds only if every job it needs succeeded.

A CD workflow (cd.yml) starts on `workflow_run` of CI: there a deploy may run only if the triggering
run (the scenario's `github.event.workflow_run`) concluded success for a push to main, and a
production deploy only after the staging integration jobs (`infra integration record`) it needs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from deployment_infra.ci import workflow_expr as expr
from deployment_infra.ci.workflow_triggers import starts

REQUIRED = ("lint", "test", "security")
GATE = "ci-gate"
OUTCOMES = ("success", "failure", "cancelled", "skipped")
# (event_name, ref): what a run can be started by; a called workflow sees its caller's event
EVENTS = (
    ("push", "refs/heads/main"),
    ("push", "refs/heads/feature/x"),
    ("pull_request", "refs/pull/7/merge"),
    ("workflow_dispatch", "refs/heads/main"),
)
_RELEASE_NAME = re.compile(r"build|push|deploy|release|publish", re.IGNORECASE)
_RELEASE_USES = ("docker/build-push-action", "aws-actions/amazon-ecr-login", "aws-actions/amazon-ecs-deploy")
_RELEASE_RUN = re.compile(r"infra\s+ci\s+build|infra\s+(deploy|apply|up)\b|docker\s+(buildx\s+build|push)")
_PROD_RUN = re.compile(r"--env[\s=]+[\"']?prod\b")
_STAGING_CHECK_RUN = re.compile(r"infra\s+integration\s+record\b")
DEPLOY_BRANCH = "main"  # CD deploys only what CI passed for a push to this branch


class WorkflowError(ValueError):
    """The file is not a workflow the model can read (not YAML, no jobs, a cycle in needs)."""


class _Loader(yaml.SafeLoader):
    """YAML as GitHub reads it: only true/false are booleans, so the `on:` key stays "on"."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def compose_yaml(text: str) -> yaml.Node | None:
    """The node tree (with line numbers) of a YAML document."""
    return yaml.compose(text, Loader=_Loader)


@dataclass(frozen=True)
class StepSpec:
    name: str
    uses: str
    run: str
    shell: str
    condition: str | None
    env: dict[str, str]


@dataclass(frozen=True)
class JobSpec:
    id: str
    name: str
    needs: tuple[str, ...]
    condition: str | None
    steps: tuple[StepSpec, ...]
    uses: str  # a job that calls a reusable workflow
    env: dict[str, str]
    environment: str = ""  # the GitHub environment's name (may be a `${{ }}` expression)

    @property
    def is_gate(self) -> bool:
        """The model executes the gate's steps instead of drawing its outcome; a gate that uses an
        action cannot be executed here, and its outcome is drawn (so it may pass: permissive)."""
        return self.id == GATE and not self.uses and all(s.run and not s.uses for s in self.steps)

    @property
    def is_release(self) -> bool:
        """Builds, pushes or deploys: by its id or name, or by what its steps use or run."""
        if _RELEASE_NAME.search(self.id) or _RELEASE_NAME.search(self.name):
            return True
        if any(s.uses.startswith(_RELEASE_USES) or _RELEASE_RUN.search(s.run) for s in self.steps):
            return True
        return bool(self.uses)  # a reusable workflow call could do anything

    @property
    def is_production(self) -> bool:
        """Acts on production: in the GitHub environment "production"/"prod" or runs with --env prod."""
        named = self.environment.lower() in ("production", "prod")
        return named or any(_PROD_RUN.search(s.run) for s in self.steps)

    @property
    def checks_staging(self) -> bool:
        """Records the staging integration outcome that production's gate reads."""
        return any(_STAGING_CHECK_RUN.search(s.run) for s in self.steps)


@dataclass(frozen=True)
class Workflow:
    path: Path
    triggers: dict[str, Any]
    jobs: dict[str, JobSpec]
    env: dict[str, str]
    inputs: dict[str, Any]  # workflow_call inputs with a default
    order: tuple[str, ...] = field(default=())  # jobs, needs first

    def ancestors(self, job: str) -> set[str]:
        seen: set[str] = set()
        todo = list(self.jobs[job].needs)
        while todo:
            j = todo.pop()
            if j not in seen:
                seen.add(j)
                todo.extend(self.jobs[j].needs)
        return seen


def _str_map(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _condition(value: Any) -> str | None:
    return None if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def _environment(value: Any) -> str:
    return str(value.get("name") or "") if isinstance(value, dict) else "" if value is None else str(value)


def _shell(job: dict[str, Any], doc: dict[str, Any]) -> str:
    for scope in (job, doc):
        shell = ((scope.get("defaults") or {}).get("run") or {}).get("shell")
        if shell:
            return str(shell)
    runs_on = job.get("runs-on")
    labels = runs_on if isinstance(runs_on, list) else [runs_on]
    return "pwsh" if any(str(x).lower().startswith("windows") for x in labels) else "bash"


def load(path: Path) -> Workflow:
    try:
        doc = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise WorkflowError(f"{path}: cannot read ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("jobs"), dict) or "on" not in doc:
        raise WorkflowError(f"{path}: not a workflow (needs `on:` and `jobs:`)")
    on = doc["on"]
    triggers: dict[str, Any] = {str(e): None for e in ([on] if isinstance(on, str) else on or [])}
    if isinstance(on, dict):
        triggers = {str(k): v for k, v in on.items()}
    inputs = {
        k: v["default"]
        for trigger in ("workflow_call", "workflow_dispatch")
        for k, v in ((triggers.get(trigger) or {}).get("inputs") or {}).items()
        if "default" in (v or {})
    }
    jobs: dict[str, JobSpec] = {}
    for jid, job in doc["jobs"].items():
        if not isinstance(job, dict):
            raise WorkflowError(f"{path}: job {jid} is not a mapping")
        needs = job.get("needs") or []
        default_shell = _shell(job, doc)
        steps = tuple(
            StepSpec(
                name=str(s.get("name") or s.get("uses") or s.get("run", "")[:40]),
                uses=str(s.get("uses") or ""),
                run=str(s.get("run") or ""),
                shell=str(s.get("shell") or default_shell),
                condition=_condition(s.get("if")),
                env=_str_map(s.get("env")),
            )
            for s in job.get("steps") or []
            if isinstance(s, dict)
        )
        jobs[str(jid)] = JobSpec(
            id=str(jid),
            name=str(job.get("name") or jid),
            needs=tuple(str(n) for n in ([needs] if isinstance(needs, str) else needs)),
            condition=_condition(job.get("if")),
            steps=steps,
            uses=str(job.get("uses") or ""),
            env=_str_map(job.get("env")),
            environment=_environment(job.get("environment")),
        )
    wf = Workflow(path, triggers, jobs, _str_map(doc.get("env")), inputs)
    return Workflow(path, triggers, jobs, wf.env, inputs, _topological(wf))


def _topological(wf: Workflow) -> tuple[str, ...]:
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(j: str, trail: tuple[str, ...]) -> None:
        if j not in wf.jobs:
            raise WorkflowError(f"{wf.path}: job {trail[-1]} needs {j!r}, which is not a job")
        if state.get(j) == 2:
            return
        if state.get(j) == 1:
            raise WorkflowError(f"{wf.path}: needs form a cycle: {' -> '.join((*trail, j))}")
        state[j] = 1
        for n in wf.jobs[j].needs:
            visit(n, (*trail, j))
        state[j] = 2
        order.append(j)

    for j in wf.jobs:
        visit(j, ())
    return tuple(order)


@dataclass(frozen=True)
class Scenario:
    event: str
    ref: str
    cancelled: bool  # the run was cancelled (concurrency, a person) while jobs were pending
    outcomes: dict[str, str]  # per job: how it ends if it runs and the model does not execute it
    # more of the github context: "event" (the payload: action, workflow_run, pull_request, inputs),
    # "repository"; what it leaves out is unknown to the model (a condition reading it may hold)
    github: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Run:
    triggered: bool
    results: dict[str, str]  # success, failure, cancelled or skipped
    ran: frozenset[str]
    upstream: dict[str, Any] | None = None  # the triggering run of a `workflow_run` event, as known


def _strict(value: Any) -> Any:
    """Nested payload objects as Strict: a property the scenario does not give is unknown."""
    if isinstance(value, dict):
        return expr.Strict({str(k): _strict(v) for k, v in value.items()})
    return [_strict(v) for v in value] if isinstance(value, list) else value


def triggered(wf: Workflow, event: str, ref: str, payload: dict[str, Any] | None = None) -> bool:
    """Whether the workflow starts on this event (workflow_triggers.starts)."""
    return starts(wf.triggers, event, ref, payload)


def _status(ancestors: Iterable[str], results: dict[str, str], cancelled: bool) -> dict[str, bool]:
    rs = [results[a] for a in ancestors]
    return {
        "success": not cancelled and all(r == "success" for r in rs),
        "failure": any(r == "failure" for r in rs),
        "cancelled": cancelled,
        "always": True,
    }


def condition_holds(condition: str | None, contexts: dict[str, Any], status: dict[str, bool]) -> bool:
    """GitHub's rule: no status check in the condition means `success() && (condition)`."""
    if condition is None or not condition.strip():
        return status["success"]
    try:
        node = expr.parse(condition)
        value = expr.truthy(expr.evaluate(node, contexts, status))
        return value if expr.STATUS_FUNCTIONS & expr.calls(node) else status["success"] and value
    except (expr.ExpressionError, expr.Unknown, IndexError, TypeError):
        return True  # cannot tell: it may run


def simulate(wf: Workflow, sc: Scenario) -> Run:
    payload = sc.github.get("event") or {}
    if not triggered(wf, sc.event, sc.ref, payload):
        return Run(False, {}, frozenset())
    results: dict[str, str] = {}
    ran: set[str] = set()
    ref_name = sc.ref.rsplit("/", 1)[-1]
    github = _strict({**sc.github, "event_name": sc.event, "ref": sc.ref, "ref_name": ref_name})
    inputs = {**wf.inputs, **(payload.get("inputs") or {})} if sc.event == "workflow_dispatch" else wf.inputs
    upstream = dict(payload.get("workflow_run") or {}) if sc.event == "workflow_run" else None
    for jid in wf.order:
        job = wf.jobs[jid]
        needs = expr.Strict({n: expr.Strict(result=results[n], outputs=expr.Strict()) for n in job.needs})
        contexts = {"github": github, "needs": needs, "inputs": expr.Strict(inputs)}
        status = _status(wf.ancestors(jid), results, sc.cancelled)
        if not condition_holds(job.condition, contexts, status):
            results[jid] = "skipped"
            continue
        ran.add(jid)
        results[jid] = _execute(wf, job, contexts, sc.cancelled) if job.is_gate else sc.outcomes[jid]
    return Run(True, results, frozenset(ran), upstream)


# the gate's result depends only on its job and contexts: runs repeat them, bash need not
_EXECUTED: dict[tuple[str, str, str, bool], str] = {}


def _execute(wf: Workflow, job: JobSpec, contexts: dict[str, Any], cancelled: bool) -> str:
    conditions = [s.condition for s in job.steps if s.condition]
    texts = [c if "${{" in c else f"${{{{ {c} }}}}" for c in conditions]
    texts += [s.run for s in job.steps] + [v for s in job.steps for v in s.env.values()]
    used = expr.contexts_used("\n".join([*texts, *job.env.values(), *wf.env.values()]))
    seen = {k: v for k, v in contexts.items() if k in used or "*" in used}
    key = (str(wf.path), repr(job), json.dumps(seen, sort_keys=True), cancelled)
    if key not in _EXECUTED:
        _EXECUTED[key] = _execute_steps(wf, job, contexts, cancelled)
    return _EXECUTED[key]


def _execute_steps(wf: Workflow, job: JobSpec, contexts: dict[str, Any], cancelled: bool) -> str:
    """Run a job of `run:` steps with bash as a runner would; what cannot be known passes."""
    failed = False
    with tempfile.TemporaryDirectory(prefix="wf-model-") as tmp:
        for i, step in enumerate(job.steps):
            status = {"success": not failed and not cancelled, "failure": failed}
            status |= {"cancelled": cancelled, "always": True}
            if not condition_holds(step.condition, contexts, status):
                continue
            shell = step.shell.split()[0] if step.shell else "bash"
            if shell not in ("bash", "sh"):
                continue  # another interpreter: not modelled, taken as passing
            try:
                env = {
                    k: expr.interpolate(v, contexts, status)
                    for k, v in {**wf.env, **job.env, **step.env}.items()
                }
                script = expr.interpolate(step.run, contexts, status)
            except (expr.ExpressionError, expr.Unknown):
                continue
            file = Path(tmp) / f"step{i}.sh"
            file.write_text(script, encoding="utf-8")
            argv = ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(file)]
            # this Python first, as setup-python does on a runner (and a pyenv shim costs 0.5 s a call)
            path = os.pathsep.join(
                [str(Path(sys.executable).parent), os.environ.get("PATH", "/usr/bin:/bin")]
            )
            base = {"PATH": path, "HOME": tmp, "RUNNER_TEMP": tmp}
            done = subprocess.run(
                argv if shell == "bash" else ["sh", "-e", str(file)],
                cwd=tmp,
                env={**base, "GITHUB_ACTIONS": "true", **env},
                capture_output=True,
                timeout=60,
            )
            failed = failed or done.returncode != 0
    if cancelled:
        return "cancelled"  # a job of a cancelled run ends cancelled, whatever its always() steps did
    return "failure" if failed else "success"


def _upstream_not_passed(upstream: dict[str, Any]) -> list[str]:
    """Why the triggering CI run does not show this commit passed CI on a push to the deploy branch."""
    expected = {"conclusion": "success", "event": "push", "head_branch": DEPLOY_BRANCH}
    return [
        f"the triggering run's {key}={upstream.get(key, 'unknown')}"
        for key, want in expected.items()
        if upstream.get(key) != want
    ]


def structure_violations(wf: Workflow) -> list[str]:
    """What must hold whatever happens: the stages exist and the gate needs every job."""
    out = [f"no {r!r} job" for r in REQUIRED if r not in wf.jobs]
    if GATE not in wf.jobs:
        return [*out, f"no {GATE!r} job"]
    missing = sorted(set(wf.jobs) - {GATE} - wf.ancestors(GATE))
    out += [f"{GATE} does not need {j!r}" for j in missing]
    return out


def violations(wf: Workflow, run: Run) -> list[str]:
    """Property 1 on one run: release jobs only after lint, test and security succeeded (in a CD
    workflow: the triggering CI run did), production ones only after staging integration jobs among
    their needs succeeded; the gate succeeds only if every job it (transitively) needs succeeded."""
    out: list[str] = []
    for jid in sorted(run.ran):
        job = wf.jobs[jid]
        if not job.is_release:
            continue
        if run.upstream is not None and not set(REQUIRED) <= set(wf.jobs):
            bad = _upstream_not_passed(run.upstream)
        else:
            bad = [f"{r}={run.results.get(r, 'absent')}" for r in REQUIRED if run.results.get(r) != "success"]
        if bad:
            out.append(f"{jid} ran although {', '.join(bad)}")
        if job.is_production:
            checks = sorted(a for a in wf.ancestors(jid) if wf.jobs[a].checks_staging)
            if not checks:
                out.append(f"{jid} ran without a staging integration job among its needs")
            failed = [f"{a}={run.results[a]}" for a in checks if run.results[a] != "success"]
            if failed:
                out.append(f"{jid} ran although {', '.join(failed)}")
    if run.results.get(GATE) == "success":
        bad = [f"{j}={run.results[j]}" for j in sorted(wf.ancestors(GATE)) if run.results[j] != "success"]
        if bad:
            out.append(f"{GATE} succeeded although {', '.join(bad)}")
    return out
