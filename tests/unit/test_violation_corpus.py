"""The violation corpus (issue 6): real `terraform plan` JSON, each file breaking what its name says.

tests/fixtures/violations/<name>.json comes from cases/<name>.tf through generate.py (terraform
1.11.4, hashicorp/aws 5.100). manifest.toml says which check ids the gate must report for each
file (`expect`) and which it may report besides (`also`); anything else is a false positive.
The gate runs with the project's own settings (infra.toml and its transfer register).
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from deployment_infra import settings as settings_mod
from deployment_infra.cli import main
from deployment_infra.policy import CHECKS, PolicyContext, check_plan, load_plan_file

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "fixtures" / "violations"
MANIFEST: dict[str, dict[str, Any]] = tomllib.loads((CORPUS / "manifest.toml").read_text())
FILES = sorted(CORPUS.glob("*.json"))
MIN_FILES = 30
ENTRY_KEYS = {"expect", "also", "env", "today", "why"}


def entry(path: Path) -> dict[str, Any]:
    assert path.stem in MANIFEST, f"{path.name} has no [{path.stem}] table in manifest.toml"
    return MANIFEST[path.stem]


@pytest.fixture(scope="module")
def settings() -> settings_mod.Settings:
    return settings_mod.load(REPO)


def test_corpus_has_enough_files_and_a_manifest_entry_for_each() -> None:
    assert len(FILES) >= MIN_FILES, f"{len(FILES)} plans in {CORPUS}, at least {MIN_FILES} required"
    stems = {p.stem for p in FILES}
    assert not stems - set(MANIFEST), f"files without a manifest entry: {sorted(stems - set(MANIFEST))}"
    assert not set(MANIFEST) - stems, f"manifest entries without a file: {sorted(set(MANIFEST) - stems)}"
    cases = {p.stem for p in (CORPUS / "cases").glob("*.tf")}
    assert cases == stems, f"cases/*.tf and *.json differ (run generate.py): {sorted(cases ^ stems)}"


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_manifest_entry_is_well_formed(name: str) -> None:
    item = MANIFEST[name]
    assert set(item) <= ENTRY_KEYS, f"unknown keys {sorted(set(item) - ENTRY_KEYS)}"
    assert isinstance(item.get("why"), str) and item["why"].strip()
    assert isinstance(item.get("expect"), list) and item["expect"], "expect must list at least one id"
    for key in ("expect", "also"):
        assert all(isinstance(i, str) for i in item.get(key, [])), key
    assert isinstance(item.get("env", "dev"), str)
    if "today" in item:
        date.fromisoformat(item["today"])


def test_every_check_has_a_case() -> None:
    covered = {i for item in MANIFEST.values() for i in item["expect"]}
    missing = sorted({c.id for c in CHECKS} - covered)
    assert not missing, f"checks without a violating plan in the corpus: {missing}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_file_is_a_real_terraform_plan(path: Path) -> None:
    plan = load_plan_file(path)
    assert plan["terraform_version"] == "1.11.4"
    aws = plan["configuration"]["provider_config"]["aws"]
    assert aws["full_name"] == "registry.terraform.io/hashicorp/aws"
    assert aws.get("version_constraint", "5.100.0") == "5.100.0"
    assert plan["resource_changes"], "a plan that creates nothing breaks nothing"


def context(settings: settings_mod.Settings, item: dict[str, Any]) -> PolicyContext:
    ctx = PolicyContext.from_settings(settings, item.get("env", "dev"))
    if "today" in item:
        ctx = dataclasses.replace(ctx, today=date.fromisoformat(item["today"]))
    return ctx


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_gate_reports_exactly_the_expected_checks(path: Path, settings: settings_mod.Settings) -> None:
    item = entry(path)
    violations = check_plan(load_plan_file(path), context(settings, item))
    found = {v.check_id for v in violations}
    expected = set(item["expect"])
    allowed = expected | set(item.get("also", []))
    shown = "\n".join(f"  {v.check_id} {v.address}: {v.message}" for v in violations) or "  (none)"
    assert expected <= found, f"missing {sorted(expected - found)}; the gate reported:\n{shown}"
    assert found <= allowed, f"unexpected {sorted(found - allowed)}; the gate reported:\n{shown}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_cli_policy_check_refuses(
    path: Path,
    settings: settings_mod.Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    item = entry(path)
    env = item.get("env", "dev")
    monkeypatch.setenv("INFRA_PROJECT_DIR", str(REPO))
    as_of = ["--as-of", item["today"]] if "today" in item else []
    code = main(["policy", "check", str(path), "--env", env, "--json", *as_of])
    report = json.loads(capsys.readouterr().out)
    found = [v["check_id"] for v in report["violations"]]
    assert code == 1, report
    assert set(item["expect"]) <= set(found), report
