"""`make bench`: speed figures, each beside a baseline measured in the same run.

1. Policy gate vs checkov on the same generated plan JSON (500 and 5,000 resources; the gate
   alone also at 50,000 to show how it grows).
2. Cold `infra up --env dev` on a fresh emulator, then a no-op `infra plan` against a bare
   `terraform plan` of the same root (the gate and bookkeeping overhead).
3. The local backup drill: restore time (logical and point-in-time) against taking the backup.
4. `make test` wall time (bench/make_test.py): the newest complete run on record.
Results are printed and written to docs/benchmarks.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.backup import bench_backup
from bench.make_test import section as make_test_section
from bench.plans import synthetic_plan
from deployment_infra import policy
from deployment_infra import settings as settings_mod
from deployment_infra.ci.checkov import ensure_checkov
from deployment_infra.emulator import Emulator, free_port
from deployment_infra.terraform import write_cli_config

REPO = Path(__file__).resolve().parent.parent


def timed(func, repeat: int = 1) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def run_checkov(exe: Path, plan_file: Path) -> tuple[float, int, int]:
    """checkov's wall time, the resources it saw and the checks it ran on them."""
    start = time.perf_counter()
    result = subprocess.run(
        [
            str(exe),
            "-f",
            str(plan_file),
            "--framework",
            "terraform_plan",
            "--skip-download",
            "--quiet",
            "--compact",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    try:
        report = json.loads(result.stdout)
        summary = (report[0] if isinstance(report, list) else report)["summary"]
        return elapsed, int(summary["resource_count"]), int(summary["passed"]) + int(summary["failed"])
    except (ValueError, KeyError, IndexError, TypeError):
        return elapsed, 0, 0


def bench_gate(lines: list[str]) -> None:
    ctx = policy.PolicyContext.from_settings(settings_mod.load(REPO))
    checkov = ensure_checkov()
    lines += [
        "## Policy gate vs checkov",
        "",
        "Same generated plan JSON file for both (`bench/plans.py`: buckets with SSE configs, DynamoDB",
        "tables, log groups, subnets, security groups in 10 modules; every 50th bucket in eu-west-1",
        "through an aliased provider). The gate time includes reading and parsing the file (best of 3);",
        "checkov runs once with `--framework terraform_plan --skip-download`. checkov runs its whole",
        f"built-in catalogue while the gate runs its {len(policy.CHECKS)} checks, so the ratio is the",
        "price of gating a plan in a pipeline, not a per-check comparison.",
        "",
        "| resources | gate (s) | violations found | checkov -f (s) | checkov / gate |",
        "|---:|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for size in (500, 5000, 50000):
            plan = synthetic_plan(size, bad_every=50)
            plan_file = Path(tmp) / f"plan-{size}.json"
            plan_file.write_text(json.dumps(plan))
            # the gate as `infra policy check` runs it: read the file, parse, check
            found: list[policy.Violation] = []

            def gate(path: Path = plan_file, out: list[policy.Violation] = found) -> None:
                out[:] = policy.check_plan(policy.load_plan_file(path), ctx)

            gate_s = timed(gate, repeat=3)
            if checkov and size <= 5000:
                checkov_s, seen, ran = run_checkov(checkov, plan_file)
                if seen != size:
                    raise SystemExit(
                        f"checkov saw {seen} of {size} resources: the comparison would be unfair"
                    )
                ratio = f"{checkov_s / gate_s:.0f}x"
                checkov_txt = f"{checkov_s:.2f} ({ran:,} check results)"
            else:
                checkov_txt = (
                    "not run: checkov could not be installed"
                    if not checkov
                    else "not run (too slow at this size)"
                )
                ratio = "-"
            row = f"| {size:,} | {gate_s:.3f} | {len(found)} | {checkov_txt} | {ratio} |"
            print(row, flush=True)
            lines.append(row)
    lines.append("")


def infra(project: Path, env: dict[str, str], *args: str) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "deployment_infra.cli", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"infra {' '.join(args)} failed: {result.stderr[-2000:]}")
    return elapsed


def bare_plan_seconds(
    project: Path, env: dict[str, str], name: str, out: Path, *, apply: bool = False
) -> float:
    """Baseline: the same plan (and apply) by bare terraform, same root, data dir, backend, variables."""
    work = project / ".infra" / "local" / name
    tf_env = {
        **env,
        "TF_DATA_DIR": str(work / "tf-data"),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "TF_CLI_CONFIG_FILE": str(write_cli_config(project / ".infra")),
    }
    root = project / "terraform" / "environments" / name
    start = time.perf_counter()
    subprocess.run(
        [
            "terraform",
            "plan",
            "-input=false",
            "-lock-timeout=0s",
            f"-var-file={work / 'vars.tfvars.json'}",
            "-out",
            str(out),
        ],
        cwd=root,
        env=tf_env,
        capture_output=True,
        check=True,
    )
    if apply:
        subprocess.run(
            ["terraform", "apply", "-input=false", "-lock-timeout=0s", str(out)],
            cwd=root,
            env=tf_env,
            capture_output=True,
            check=True,
        )
    return time.perf_counter() - start


def bench_up(lines: list[str], keep_plans: Path) -> None:
    """Cold up, no-op plan and down, for dev then prod, on one emulator; bare terraform as baselines.

    dev's up is truly cold (emulator start, bootstrap, init); prod's reuses the emulator and the
    state bucket, as a second environment on a laptop would. The plan JSON each `up` gated is
    copied to `keep_plans`/<env>.json for the real-plan gate bench.
    """
    rows: list[str] = []
    deploy_rows: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        project.mkdir()
        shutil.copy2(REPO / "infra.toml", project / "infra.toml")
        shutil.copytree(
            REPO / "terraform",
            project / "terraform",
            ignore=shutil.ignore_patterns(".terraform", "*_override.tf", "*.tfstate*"),
        )
        # the roots read monitoring/ (rules, routes, dashboards); settings read the transfer register
        for name in ("monitoring", "residency", "cost", "cd"):
            if (REPO / name).is_dir():
                shutil.copytree(REPO / name, project / name)
        port = free_port()
        env = {
            **os.environ,
            "INFRA_PROJECT_DIR": str(project),
            "INFRA_EMULATOR_PORT": str(port),
            # deploys on the local target run the reference service of this checkout
            "INFRA_REFERENCE_SERVICE_DIR": str(REPO / "examples" / "service"),
        }
        emulator = Emulator(project / ".infra", port)
        try:
            for name, what in (
                ("dev", "emulator start, bootstrap, init, plan, gate, apply"),
                ("prod", "init, plan, gate, apply; emulator and state bucket already up"),
            ):
                up = infra(project, env, "up", "--env", name, "--yes")
                shutil.copy2(project / ".infra" / "local" / name / "plan.json", keep_plans / f"{name}.json")
                resources = len(
                    json.loads(
                        subprocess.run(
                            [sys.executable, "-m", "deployment_infra.cli", "status", "--env", name, "--json"],
                            cwd=project,
                            env=env,
                            capture_output=True,
                            text=True,
                            check=True,
                        ).stdout
                    )["resources"]
                )
                if name == "dev":
                    deploy_rows += bench_rollback(project, env)
                noop = infra(project, env, "plan", "--env", name)
                bare = bare_plan_seconds(project, env, name, Path(tmp) / f"{name}.tfplan")
                down = infra(project, env, "down", "--env", name, "--yes")
                # the up's baseline: bare terraform plan + apply of the same root, from nothing again
                bare_up = bare_plan_seconds(project, env, name, Path(tmp) / f"{name}-up.tfplan", apply=True)
                rows += [
                    f"| `infra up --env {name}` ({what}; {resources} resources) | {up:.1f} "
                    f"| bare `terraform plan -out` + `apply` {bare_up:.1f}s | {up / bare_up:.2f}x |",
                    f"| no-op `infra plan --env {name}` | {noop:.1f} "
                    f"| bare `terraform plan -out` {bare:.1f}s | {noop / bare:.2f}x |",
                    f"| `infra down --env {name}` | {down:.1f} | - | - |",
                ]
                print("\n".join(rows[-3:]), flush=True)
        finally:
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "from deployment_infra import settings; from deployment_infra.deploy.runtime "
                    "import LocalRuntime; LocalRuntime(settings.load()).stop_all()",
                ],
                cwd=project,
                env=env,
                check=False,
            )
            emulator.stop()
    lines += [
        "## Rollback (embedded AWS, dev)",
        "",
        "`infra rollback` is one ECS service update to a recorded task definition, a wait for steady state",
        "and a smoke test of the reference service (started on loopback by the local runtime). The baseline",
        "is what a Terraform-driven rollback costs: the previous image tag as the root's variable and",
        "`infra up` (plan of the whole root, gate, apply).",
        "",
        "| figure | seconds | baseline | ratio |",
        "|---|---:|---|---:|",
        *deploy_rows,
        "",
        "## infra up / plan / down (embedded AWS)",
        "",
        "The no-op plan's overhead over bare terraform is `terraform show -json` (a second provider",
        "start) plus the gate; both are needed to refuse a plan before it is applied. The up's baseline",
        "is bare `terraform plan -out` + `apply` of the same root after `infra down` (init done, the",
        "emulator and state bucket up): what `infra` adds is the emulator start and bootstrap (dev), the",
        "plan JSON, the gate and the summary.",
        "",
        "| figure | seconds | baseline | ratio |",
        "|---|---:|---|---:|",
        *rows,
        "",
    ]


def bench_rollback(project: Path, env: dict[str, str]) -> list[str]:
    """Two deploys, a rollback, then a Terraform re-apply of the previous image, on a fresh dev."""
    first = infra(project, env, "deploy", "--env", "dev", "--image", "ngapp-dev/api:bench-1")
    second = infra(project, env, "deploy", "--env", "dev", "--image", "ngapp-dev/api:bench-2")
    rollback = infra(project, env, "rollback", "--env", "dev")
    toml = project / "infra.toml"
    original = toml.read_text(encoding="utf-8")
    marker = "[environments.dev.variables]\n"
    assert marker in original, "infra.toml has no [environments.dev.variables] table"
    toml.write_text(original.replace(marker, marker + 'initial_image_tag = "bench-1"\n'), encoding="utf-8")
    try:
        reapply = infra(project, env, "up", "--env", "dev", "--yes")
    finally:
        toml.write_text(original, encoding="utf-8")
    rows = [
        f"| `infra deploy --env dev` (first release) | {first:.1f} | - | - |",
        f"| `infra deploy --env dev` (second release) | {second:.1f} | - | - |",
        f"| `infra rollback --env dev` | {rollback:.1f} | Terraform re-apply of the previous image "
        f"{reapply:.1f}s | {reapply / rollback:.1f}x |",
    ]
    print("\n".join(rows), flush=True)
    return rows


def bench_real_plan(lines: list[str], plan_file: Path, env: str) -> None:
    """The gate and checkov on the plan `infra up --env ENV` gated (the real root, every module)."""
    ctx = policy.PolicyContext.from_settings(settings_mod.load(REPO), env)
    checkov = ensure_checkov()
    found: list[policy.Violation] = []

    def gate() -> None:
        found[:] = policy.check_plan(policy.load_plan_file(plan_file), ctx)

    gate_s = timed(gate, repeat=3)
    resources = len(policy.build_view(policy.load_plan_file(plan_file)).resources)
    if checkov:
        checkov_s, seen, ran = run_checkov(checkov, plan_file)
        checkov_txt = f"{checkov_s:.2f} ({seen} resources, {ran:,} check results)"
        ratio = f"{checkov_s / gate_s:.0f}x"
    else:
        checkov_txt, ratio = "not run: checkov could not be installed", "-"
    row = (
        f"| real `{env}` plan ({resources} resources, {plan_file.stat().st_size / 2**20:.1f} MiB) "
        f"| {gate_s:.3f} | {len(found)} | {checkov_txt} | {ratio} |"
    )
    print(row, flush=True)
    lines += [
        "## Policy gate vs checkov on the real prod plan",
        "",
        f"The plan JSON `infra up --env {env}` gated above (every check of the gate, residency and",
        "transfer register included; checkov with its built-in catalogue, once).",
        "",
        "| plan | gate (s) | violations found | checkov -f (s) | checkov / gate |",
        "|---|---:|---:|---:|---:|",
        row,
        "",
    ]


def machine() -> list[str]:
    cpu = "unknown"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        )
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    tf_version = subprocess.run(["terraform", "version"], capture_output=True, text=True).stdout.splitlines()[
        0
    ]
    return [
        f"- {os.cpu_count()} cores ({cpu}), {mem:.0f} GiB memory, {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}, {tf_version}, hashicorp/aws 5.100.0, moto server",
        # other work on the machine inflates absolute times (ratios share the load)
        "- load average at the start: {:.1f} / {:.1f} / {:.1f} (1 / 5 / 15 min)".format(*os.getloadavg()),
        "",
    ]


MAKE_TEST_HEADING = "## `make test` wall time"


def refresh_make_test_section() -> None:
    """`python -m bench make-test`: rewrite only the last section (after a new `make test` run)."""
    doc = REPO / "docs" / "benchmarks.md"
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n\n"
    head = text.split(MAKE_TEST_HEADING, 1)[0].rstrip("\n") + "\n\n"
    section = make_test_section(REPO)
    print("\n".join(section))
    doc.write_text(head + "\n".join(section) + "\n", encoding="utf-8")


def main() -> None:
    if sys.argv[1:] == ["make-test"]:
        refresh_make_test_section()
        return
    if sys.argv[1:]:
        raise SystemExit("usage: python -m bench [make-test]")
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "Each figure stands beside a baseline measured in the same run.",
        "",
        "Machine:",
        *machine(),
    ]
    bench_gate(lines)
    with tempfile.TemporaryDirectory() as plans:
        bench_up(lines, Path(plans))
        bench_real_plan(lines, Path(plans) / "prod.json", "prod")
    bench_backup(lines)
    lines += make_test_section(REPO)
    (REPO / "docs" / "benchmarks.md").write_text("\n".join(lines) + "\n")
    print(f"written to {REPO / 'docs' / 'benchmarks.md'}")


if __name__ == "__main__":
    main()
