"""Secrets scan: detect-secrets over the files under --path, against the reviewed baseline.

Files: what git tracks plus untracked files it does not ignore (so node_modules, .venv and build
output stay out, and a new file with a key is caught before it is committed); outside git, every
file except dependency and tool directories. The baseline (ci/secrets.baseline, detect-secrets'
own format, so `detect-secrets audit` works on it) lists known strings that look like secrets;
an entry accepts its finding only when it is audited as not a secret (`"is_secret": false`) and
carries a `"reason"` (our addition). Anything else the scan finds is a finding, matched on file,
type and the secret's hash, never on line number.

    python -m deployment_infra.ci.secrets --path . --accept "why these are not secrets"

adds every current finding that is not yet accepted to the baseline, with that reason, after
you have looked at each (the command lists them).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from deployment_infra.ci import process
from deployment_infra.ci.findings import Accepted, Finding, SecurityConfig
from deployment_infra.ci.model import Project
from deployment_infra.errors import UsageError

SCANNER = "detect-secrets"
# never scanned outside git: dependencies, tool output and caches (fixtures *are* scanned)
_NOT_SCANNED = {".git", "node_modules", ".venv", ".infra", ".terraform", "__pycache__", "dist", "coverage"}
_NOT_SCANNED |= {".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis"}
AUDITED_REAL = "audited as a REAL secret in the baseline: rotate it, then remove it"


def _git_files(project: Project, rel: str, *which: str) -> set[str] | None:
    done = process.run(["git", "ls-files", "-z", *which, "--", rel], project.root, timeout=60)
    return {n for n in done.stdout.split("\0") if n} if done.returncode == 0 else None


def _outside_tool_dirs(name: str) -> bool:
    return not any(part in _NOT_SCANNED for part in Path(name).parts[:-1])


def files_to_scan(project: Project, exclude: set[Path]) -> list[str]:
    """Files under project.path, relative to project.root, sorted: every tracked file, and the
    untracked ones git does not ignore outside dependency and tool directories (.infra/ holds
    this stage's own scratch files)."""
    rel = project.path.relative_to(project.root).as_posix() if project.path != project.root else "."
    tracked = _git_files(project, rel, "--cached")
    if tracked is not None:
        untracked = _git_files(project, rel, "--others", "--exclude-standard") or set()
        names = tracked | {n for n in untracked if _outside_tool_dirs(n)}
    else:  # not a git checkout
        names = set()
        for dirpath, dirnames, filenames in os.walk(project.path):
            dirnames[:] = sorted(d for d in dirnames if d not in _NOT_SCANNED)
            for name in filenames:
                names.add((Path(dirpath) / name).relative_to(project.root).as_posix())
    skip = {p.resolve() for p in exclude}
    return sorted(
        n for n in names if (project.root / n).is_file() and (project.root / n).resolve() not in skip
    )


def load_baseline(path: Path) -> tuple[dict[str, Any], tuple[Accepted, ...], dict[tuple[str, str, str], str]]:
    """The baseline document, its accepted entries, and why each other entry accepts nothing."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        results = doc["results"]
        if not isinstance(results, dict):
            raise TypeError
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{path}: not a detect-secrets baseline ({type(exc).__name__}: {exc})") from None
    accepted: list[Accepted] = []
    refused: dict[tuple[str, str, str], str] = {}
    for filename, entries in results.items():
        for e in entries if isinstance(entries, list) else []:
            key = (str(e.get("type")), str(filename), str(e.get("hashed_secret")))
            reason = str(e.get("reason") or "").strip()
            if e.get("is_secret") is True:
                refused[key] = AUDITED_REAL
            elif e.get("is_secret") is not False or not reason:
                refused[key] = "in the baseline but not audited (needs is_secret false and a reason)"
            else:
                accepted.append(Accepted(SCANNER, key[0], key[1], key[2], reason))
    return doc, tuple(accepted), refused


def _run(exe: Path, root: Path, files: list[str], baseline: Path | None, work: Path) -> dict[str, Any]:
    """detect-secrets' results for `files`, with the baseline's plugin and filter settings: the scan
    rewrites a private copy of the baseline (parallel runs do not share it), never the file itself."""
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        copy = Path(tmp) / "secrets.baseline"
        argv = [str(exe), "scan"]
        if baseline is not None:
            shutil.copyfile(baseline, copy)
            argv += ["--baseline", str(copy)]
        done = process.run([*argv, *files], root, timeout=1800)
        try:
            if done.returncode != 0:
                raise ValueError(f"exit {done.returncode}")
            results = json.loads(copy.read_text(encoding="utf-8") if baseline else done.stdout)["results"]
            if not isinstance(results, dict):
                raise TypeError("results is not an object")
            return results
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise RuntimeError(f"detect-secrets scan failed ({exc}): {' '.join(done.tail(3))}") from None


def scan(
    project: Project, config: SecurityConfig, work: Path
) -> tuple[str, list[Finding], tuple[Accepted, ...], int]:
    """Run detect-secrets: (tool, findings, accepted baseline entries in scope, files scanned).
    Raises RuntimeError when the tool cannot run or its output is unreadable."""
    exe = process.find_tool("detect-secrets")
    if exe is None:
        raise RuntimeError("detect-secrets is not installed (pip install -e '.[dev]')")
    tool = f"detect-secrets {process.version_of([str(exe), '--version'], project.root)}".strip()
    baseline = config.baselines.get(SCANNER)
    files = files_to_scan(project, set(config.baselines.values()))
    if not files:
        return tool, [], (), 0
    accepted: tuple[Accepted, ...] = ()
    refused: dict[tuple[str, str, str], str] = {}
    if baseline is not None:
        _, accepted, refused = load_baseline(baseline)
    results = _run(exe, project.root, files, baseline, work)
    findings = []
    for filename, entries in sorted(results.items()):
        for e in entries:
            key = (str(e["type"]), str(filename), str(e["hashed_secret"]))
            why = refused.get(key, "not in the baseline" if baseline else "no baseline configured")
            findings.append(
                Finding(
                    scanner=SCANNER,
                    rule=key[0],
                    severity=config.severity_for(SCANNER, key[0]),
                    location=key[1],
                    message=f"possible secret ({why})",
                    line=int(e.get("line_number", 0)),
                    resource=key[2],
                )
            )
    scope = set(files)
    return tool, findings, tuple(a for a in accepted if a.location in scope), len(files)


def accept(project: Project, config: SecurityConfig, work: Path, reason: str) -> list[Finding]:
    """Add the current unaccepted findings to the baseline as audited non-secrets with `reason`."""
    baseline = config.baselines.get(SCANNER)
    if baseline is None:
        raise UsageError(f"{config.source}: no [baseline] {SCANNER} file configured")
    _, findings, accepted, _ = scan(project, config, work)
    doc, _, refused = load_baseline(baseline)
    known = {(a.rule, a.location, a.resource) for a in accepted}
    real = {k for k, why in refused.items() if why == AUDITED_REAL}  # a person said so: never flipped here
    new = [f for f in findings if (f.rule, f.location, f.resource) not in known | real]
    for f in new:
        entries = doc["results"].setdefault(f.location, [])
        entries[:] = [e for e in entries if (e.get("type"), e.get("hashed_secret")) != (f.rule, f.resource)]
        entries.append(
            {
                "type": f.rule,
                "filename": f.location,
                "hashed_secret": f.resource,
                "is_verified": False,
                "line_number": f.line,
                "is_secret": False,
                "reason": reason,
            }
        )
        entries.sort(key=lambda e: (e.get("line_number", 0), e.get("type", "")))
    doc["results"] = dict(sorted(doc["results"].items()))
    baseline.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return new


def main(argv: list[str] | None = None) -> int:
    from deployment_infra.ci import config as ci_config
    from deployment_infra.ci import findings, project
    from deployment_infra.ci.stages import work_dir

    parser = argparse.ArgumentParser(prog="python -m deployment_infra.ci.secrets")
    parser.add_argument("--path", type=Path, default=Path("."))
    parser.add_argument(
        "--accept", metavar="REASON", required=True, help="why the new findings are not secrets"
    )
    args = parser.parse_args(argv)
    if not args.accept.strip():
        parser.error("--accept needs a reason")
    proj = project.detect(args.path)
    cfg = findings.load_config(ci_config.config_dir(proj))
    for f in accept(proj, cfg, work_dir(proj.root, proj.path, "security"), args.accept.strip()):
        print(f"accepted: {f.rule} {f.where}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
