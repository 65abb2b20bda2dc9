"""Dependency audits: `npm audit` (package-lock.json) and pip-audit (the Python environment).

Both need an advisory service on the internet. Where they cannot reach it they must say so, never
report "no known vulnerabilities": npm answers with an HTTP error from its bulk advisory endpoint,
and pip-audit, when PyPI's per-version JSON API is not served, marks every dependency "not found on
PyPI" and exits 0. Both are classified here as `not run`, with the reason the tool gave.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from deployment_infra.ci import process
from deployment_infra.ci.findings import Finding, SecurityConfig, normalize
from deployment_infra.ci.model import Project

Outcome = Literal["ran", "not run", "error"]
NPM_NET_CODES = {"ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENETUNREACH"}
# what requests/urllib3 print when a host cannot be reached (pip-audit lets the exception through)
PY_NET_MARKERS = (
    "ConnectionError",
    "NameResolutionError",
    "Max retries exceeded",
    "ConnectTimeout",
    "ReadTimeout",
    "Read timed out",
    "Temporary failure in name resolution",
    "Network is unreachable",
)


@dataclass
class Audit:
    scanner: str
    tool: str
    outcome: Outcome
    reason: str = ""  # why not run, or what went wrong
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # dependencies that could not be audited
    audited: int = 0
    seconds: float = 0.0
    tail: tuple[str, ...] = ()


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


# -- npm audit ---------------------------------------------------------------------------------


def npm_audit(project: Project, config: SecurityConfig) -> Audit:
    npm = process.find_tool("npm", project.path / "node_modules" / ".bin")
    if npm is None:
        return Audit("npm-audit", "npm", "error", "npm is not installed (Node.js 20+ provides it)")
    tool = f"npm {process.version_of([str(npm), '--version'], project.path)}".strip()
    lock = project.path / "package-lock.json"
    if not lock.is_file():
        return Audit("npm-audit", tool, "error", "no package-lock.json: dependencies cannot be audited")
    done = process.run(
        [str(npm), "audit", "--json", "--package-lock-only", "--fetch-retries=1", "--fetch-timeout=20000"],
        project.path,
        timeout=180,
    )
    try:
        doc = json.loads(done.stdout)
    except ValueError:
        return Audit(
            "npm-audit", tool, "error", f"npm audit exited {done.returncode} without JSON", tail=done.tail()
        )
    return classify_npm(doc, _rel(lock, project.root), config, tool, done.seconds)


def classify_npm(doc: Any, lockfile: str, config: SecurityConfig, tool: str, seconds: float) -> Audit:
    """npm audit's JSON: a report (findings), or an error: network/HTTP ones are `not run`."""
    if not isinstance(doc, dict):
        return Audit(
            "npm-audit", tool, "error", "npm audit printed JSON that is not an object", seconds=seconds
        )
    if "auditReportVersion" not in doc:
        err: dict[str, Any] = doc["error"] if isinstance(doc.get("error"), dict) else {}
        code = str(doc.get("code") or err.get("code") or "")
        message = str(doc.get("message") or err.get("summary") or code or "unknown error").splitlines()[0]
        if isinstance(doc.get("statusCode"), int) or code in NPM_NET_CODES:
            return Audit(
                "npm-audit", tool, "not run", f"advisory service unavailable: {message}", seconds=seconds
            )
        return Audit("npm-audit", tool, "error", f"npm audit failed: {message}", seconds=seconds)
    audit = Audit("npm-audit", tool, "ran", seconds=seconds)
    vulns = doc.get("vulnerabilities", {})
    audit.audited = int(doc.get("metadata", {}).get("dependencies", {}).get("total", 0) or 0)
    for name, vuln in sorted(vulns.items()):
        for via in vuln.get("via", []):
            if not isinstance(via, dict):
                continue  # "via another package": that package carries the advisory
            url = str(via.get("url", ""))
            rule = url.rstrip("/").rsplit("/", 1)[-1] if url else str(via.get("source", "?"))
            sev = normalize(str(via.get("severity") or vuln.get("severity") or ""))
            audit.findings.append(
                Finding(
                    scanner="npm-audit",
                    rule=rule,
                    severity=sev or config.severity_for("npm-audit", rule),
                    location=lockfile,
                    message=f"{name} {via.get('range', '')}: {via.get('title', '')} {url}".strip(),
                    resource=str(name),
                )
            )
    return audit


# -- pip-audit ---------------------------------------------------------------------------------


def _python_target(project: Project) -> tuple[list[str], dict[str, str], str]:
    """What to audit: the project's .venv, else the environment `infra` runs in when it lives in the
    project, else the project's declared dependencies (pip-audit resolves them)."""
    venv_python = project.path / ".venv" / "bin" / "python"
    if venv_python.exists():
        return ["--skip-editable"], {"PIPAPI_PYTHON_LOCATION": str(venv_python)}, f"environment {venv_python}"
    prefix = Path(sys.prefix).resolve()
    if prefix.is_relative_to(project.path) and prefix != project.path:
        return ["--skip-editable"], {"PIPAPI_PYTHON_LOCATION": sys.executable}, f"environment {prefix}"
    return [str(project.path)], {}, f"the dependencies in {project.path / 'pyproject.toml'}"


def pip_audit(project: Project, config: SecurityConfig) -> Audit:
    exe = process.find_tool("pip-audit")
    if exe is None:
        return Audit(
            "pip-audit", "pip-audit", "error", "pip-audit is not installed (pip install -e '.[dev]')"
        )
    tool = process.version_of([str(exe), "--version"], project.path) or "pip-audit"
    args, env, what = _python_target(project)
    done = process.run(
        [str(exe), "-f", "json", "--progress-spinner", "off", "--timeout", "15", *args],
        project.path,
        env=env,
        timeout=600,
    )
    return classify_pip(done, config, tool, what)


def classify_pip(done: process.Completed, config: SecurityConfig, tool: str, what: str) -> Audit:
    """pip-audit's exit and JSON: findings, or `not run` when the service could not be reached or
    answered for no dependency at all."""
    # exit 1 is both "vulnerabilities found" (with a report) and an uncaught exception (without)
    try:
        if done.returncode not in (0, 1):
            raise ValueError(done.returncode)
        deps = list(json.loads(done.stdout)["dependencies"])
    except (ValueError, KeyError, TypeError):
        last = (done.stderr.strip().splitlines() or [f"exit {done.returncode}, no JSON report"])[-1][:300]
        if any(m in done.stderr for m in PY_NET_MARKERS):
            why = f"vulnerability service unreachable: {last}"
            return Audit("pip-audit", tool, "not run", why, seconds=done.seconds)
        why = f"pip-audit failed: {last}"
        return Audit("pip-audit", tool, "error", why, seconds=done.seconds, tail=done.tail())
    audited = [d for d in deps if isinstance(d, dict) and "vulns" in d]
    skipped = [d for d in deps if isinstance(d, dict) and "vulns" not in d]
    audit = Audit("pip-audit", tool, "ran", audited=len(audited), seconds=done.seconds)
    if skipped and not audited:
        first = str(skipped[0].get("skip_reason", ""))
        audit.outcome = "not run"
        audit.reason = (
            f"the vulnerability service answered for none of the {len(skipped)} dependencies of "
            f"{what} (e.g. {first!r})"
        )
        return audit
    audit.notes = [f"not audited: {d.get('skip_reason', d.get('name', '?'))}" for d in skipped]
    for dep in audited:
        for vuln in dep["vulns"]:
            rule = str(vuln.get("id", "?"))
            fixes = ", ".join(vuln.get("fix_versions", [])) or "none"
            aliases = ", ".join(vuln.get("aliases", []))
            audit.findings.append(
                Finding(
                    scanner="pip-audit",
                    rule=rule,
                    severity=config.severity_for("pip-audit", rule),
                    location=f"{dep.get('name')}=={dep.get('version')}",
                    message=f"fixed in {fixes}" + (f" ({aliases})" if aliases else ""),
                    resource=str(dep.get("name", "")),
                )
            )
    return audit
