"""Lint stage for TypeScript (ESLint, Prettier, tsc), Python (ruff, mypy) and Terraform (fmt, validate).

Every tool is the one the project pins: node_modules/.bin after `npm ci`, the venv's ruff and mypy,
terraform on PATH. A missing tool fails the step: lint is always runnable here.
"""

from __future__ import annotations

import re
import shutil
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from deployment_infra.ci import node, process
from deployment_infra.ci.model import Project, StageContext, Step, StepResult
from deployment_infra.ci.project import terraform_dirs
from deployment_infra.terraform import Terraform, first_error, write_cli_config

# what validation never needs (fixtures stay: modules read files under tests/fixtures)
_NOT_COPIED = (
    ".git",
    ".terraform",
    "node_modules",
    ".venv",
    ".infra",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
)


@dataclass(frozen=True)
class ToolStep:
    """A lint tool run once in the project directory; exit 0 = clean."""

    name: str
    kind: str
    tool: str
    args: tuple[str, ...]
    from_node_modules: bool = False
    timeout: float = 900

    def applies(self, project: Project) -> bool:
        return self.kind in project.kinds

    def argv(self, project: Project) -> list[str]:
        return list(self.args)

    def run(self, ctx: StageContext) -> StepResult:
        path = ctx.project.path
        extra: tuple[Path, ...] = ()
        if self.from_node_modules:
            broken = node.ensure_installed(path, self.name)
            if broken is not None:
                return broken
            extra = (node.bin_dir(path),)
        exe = process.find_tool(self.tool, *extra)
        if exe is None:
            return StepResult(self.name, "failed", f"{self.tool} not found (install the project's dev tools)")
        version = process.version_of([str(exe), "--version"], path)
        done = process.run([str(exe), *self.argv(ctx.project)], path, timeout=self.timeout)
        tool = f"{self.tool} {_version_number(version)}".strip()
        if done.returncode == 0:
            return StepResult(self.name, "passed", "clean", tool, done.seconds)
        return StepResult(
            self.name, "failed", f"{self.tool} exited {done.returncode}", tool, done.seconds, done.tail(40)
        )


@dataclass(frozen=True)
class MypyStep(ToolStep):
    """mypy on the files pyproject.toml names ([tool.mypy] files), else on src/ or the directory."""

    def argv(self, project: Project) -> list[str]:
        try:
            pyproject = tomllib.loads((project.path / "pyproject.toml").read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            pyproject = {}
        if pyproject.get("tool", {}).get("mypy", {}).get("files"):
            return []
        return ["src"] if (project.path / "src").is_dir() else ["."]


def _version_number(text: str) -> str:
    match = re.search(r"\d+\.\d+(\.\d+)?", text)
    return match.group(0) if match else ""


class TerraformFmt:
    name = "terraform-fmt"

    def applies(self, project: Project) -> bool:
        return "terraform" in project.kinds

    def run(self, ctx: StageContext) -> StepResult:
        dirs = terraform_dirs(ctx.project.path)
        unformatted: list[str] = []
        seconds = 0.0
        for d in dirs:
            done = process.run(
                ["terraform", "fmt", "-check", "-list=true", "-no-color", str(d)], d, timeout=120
            )
            seconds += done.seconds
            if done.returncode == 127:
                return StepResult(self.name, "failed", "terraform not found on PATH", "terraform", seconds)
            if done.returncode != 0:
                files = done.stdout.split() or [str(d)]
                unformatted += [
                    _rel(Path(f) if Path(f).is_absolute() else d / f, ctx.project.path) for f in files
                ]
        tool = f"terraform {_tf_version(ctx.project.path)}"
        if unformatted:
            return StepResult(
                self.name,
                "failed",
                f"{len(unformatted)} file(s) not formatted: run `terraform fmt -recursive`",
                tool,
                seconds,
                tuple(unformatted),
            )
        return StepResult(self.name, "passed", f"{len(dirs)} director(ies) formatted", tool, seconds)


class TerraformValidate:
    """init -backend=false + validate for every module and root, on a copy so nothing is left behind."""

    name = "terraform-validate"

    def applies(self, project: Project) -> bool:
        return "terraform" in project.kinds

    def run(self, ctx: StageContext) -> StepResult:
        src = ctx.project.path
        copy = ctx.work / "tree"
        if copy.exists():
            shutil.rmtree(copy)
        shutil.copytree(
            src,
            copy,
            ignore=shutil.ignore_patterns(*_NOT_COPIED, "*_override.tf", "*_override.tf.json", "*.tfstate*"),
        )
        env = {"TF_CLI_CONFIG_FILE": str(write_cli_config(ctx.work))}
        failures: list[str] = []
        seconds = 0.0
        # helper modules under a module's tests/ are inputs of `terraform test`, which validates them
        dirs = [d for d in terraform_dirs(copy) if "tests" not in d.relative_to(copy).parts]
        for d in dirs:
            rel = _rel(d, copy)
            stand_in = d / "zz_validate_providers.tf"
            stand_in.write_text(_alias_stand_ins(d))
            tf = Terraform(root=d, data_dir=ctx.work / "tfdata" / rel.replace("/", "_"), env=env, what=rel)
            for args in (["init", "-backend=false", "-input=false", "-no-color"], ["validate", "-no-color"]):
                done = _timed(tf, args)
                seconds += done[1]
                if done[0].returncode != 0:
                    failures.append(
                        f"{rel}: terraform {args[0]}: {first_error(done[0].stderr or done[0].stdout)}"
                    )
                    break
        tool = f"terraform {_tf_version(src)}"
        if failures:
            return StepResult(
                self.name, "failed", f"{len(failures)} of {len(dirs)} invalid", tool, seconds, tuple(failures)
            )
        return StepResult(self.name, "passed", f"{len(dirs)} module(s) and root(s) valid", tool, seconds)


def _timed(tf: Terraform, args: list[str]) -> tuple[process.Completed, float]:
    start = time.monotonic()
    result = tf.run(args, stream=False, ok_codes=range(256))
    took = time.monotonic() - start
    return process.Completed(result.returncode, result.stdout, result.stderr, took), took


def _alias_stand_ins(module: Path) -> str:
    """A module that takes aliased providers validates only with them configured, as a caller would."""
    versions = module / "versions.tf"
    text = versions.read_text(encoding="utf-8") if versions.is_file() else ""
    match = re.search(r"configuration_aliases\s*=\s*\[([^\]]*)\]", text)
    aliases = re.findall(r"aws\.([a-z0-9_]+)", match.group(1)) if match else []
    return "".join(f'provider "aws" {{\n  alias = "{a}"\n}}\n' for a in aliases)


def _tf_version(cwd: Path) -> str:
    return _version_number(process.version_of(["terraform", "version"], cwd))


def _rel(path: Path, base: Path) -> str:
    return str(path.relative_to(base)) if path.is_relative_to(base) else str(path)


STEPS: tuple[Step, ...] = (
    ToolStep("eslint", "typescript", "eslint", (".", "--max-warnings", "0"), from_node_modules=True),
    ToolStep("prettier", "typescript", "prettier", ("--check", "."), from_node_modules=True),
    ToolStep("tsc", "typescript", "tsc", ("--noEmit", "-p", "tsconfig.json"), from_node_modules=True),
    ToolStep("ruff-check", "python", "ruff", ("check", ".")),
    ToolStep("ruff-format", "python", "ruff", ("format", "--check", ".")),
    MypyStep("mypy", "python", "mypy", ()),
    TerraformFmt(),
    TerraformValidate(),
)
