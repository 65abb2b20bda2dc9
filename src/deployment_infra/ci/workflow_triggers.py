"""Which events start a workflow: its `on:` triggers with GitHub's branch filters, activity types and
`workflow_run`'s `workflows` and `branches` (the branch of the triggering run). Part of the workflow
model (workflow_model.py); paths filters are taken as matching, and so is what a payload leaves out,
so the model sees every run that may start.
"""

from __future__ import annotations

import re
from typing import Any

# GitHub's default activity types when a trigger lists none (the other events: every type)
_DEFAULT_TYPES = {"pull_request": ("opened", "synchronize", "reopened")}


def _glob(pattern: str) -> re.Pattern[str]:
    out = re.escape(pattern).replace(r"\*\*", ".*").replace(r"\*", "[^/]*").replace(r"\?", ".")
    return re.compile(out + "$")


def _branch_filter(spec: Any, branch: str, key: str) -> bool:
    if not isinstance(spec, dict):
        return True
    if key in spec:
        ok = False
        for p in map(str, spec[key] or []):  # in order: a later `!pattern` excludes again
            if p.startswith("!"):
                ok = ok and not _glob(p[1:]).match(branch)
            else:
                ok = ok or bool(_glob(p).match(branch))
        return ok
    if f"{key}-ignore" in spec:
        return not any(_glob(str(p)).match(branch) for p in spec[f"{key}-ignore"] or [])
    return not (key == "branches" and ("tags" in spec or "tags-ignore" in spec))


def starts(triggers: dict[str, Any], event: str, ref: str, payload: dict[str, Any] | None = None) -> bool:
    """Whether the workflow starts on this event (paths filters are taken as matching). With the
    event's payload, activity `types` and `workflow_run`'s `workflows` and `branches` (the triggering
    run's branch) are checked too; what the payload does not say is taken as matching."""
    if "workflow_call" in triggers:
        return True
    if event not in triggers:
        return False
    spec = triggers[event]
    payload = payload or {}
    types = spec.get("types") if isinstance(spec, dict) else None
    types = [types] if isinstance(types, str) else types or _DEFAULT_TYPES.get(event)
    if types and "action" in payload and payload["action"] not in types:
        return False
    if event == "workflow_run":
        upstream = payload.get("workflow_run") or {}
        names = spec.get("workflows") if isinstance(spec, dict) else None
        if names and "name" in upstream and upstream["name"] not in names:
            return False
        return "head_branch" not in upstream or _branch_filter(spec, str(upstream["head_branch"]), "branches")
    branch = "main" if event == "pull_request" else ref.removeprefix("refs/heads/")
    return _branch_filter(spec, branch, "branches")
