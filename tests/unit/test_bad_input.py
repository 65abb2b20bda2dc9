"""Bad input the junk-input property (tests/property/test_junk_input_property.py) found, one test each:
every one is refused with one line and exit 2 before anything runs."""

from __future__ import annotations

import contextlib
import copy
import io
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest

from deployment_infra import cli, settings, ui
from deployment_infra.ci import project
from deployment_infra.commands import deploy as deploy_cmd
from deployment_infra.commands import docs, ops, package
from deployment_infra.commands import plan as plan_cmd
from deployment_infra.deploy import promotion
from deployment_infra.deploy.images import Image, check_tag
from deployment_infra.deploy.releases import parse_release_id
from deployment_infra.deploy.service import ServiceRef
from deployment_infra.envs import config as cfg
from deployment_infra.envs import flags as fl
from deployment_infra.envs.preview import parse_open_prs
from deployment_infra.errors import SettingsError, UsageError
from deployment_infra.ops import residency_scan

REPO = Path(__file__).resolve().parents[2]
HUGE_NAME = "x" * 300  # longer than a file name may be (ENAMETOOLONG, an OSError, from stat)


def run(argv: list[str]) -> tuple[int, list[str]]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(argv)
    return code, [line for line in err.getvalue().splitlines() if line.strip()]


def test_an_error_echoing_input_stays_one_line_and_inert() -> None:
    assert ui.one_line("a\nb\x1b[2J\udcff") == "a\\nb\\x1b[2J\\udcff"
    err = io.StringIO()
    started = time.monotonic()
    with contextlib.redirect_stderr(err):
        ui.error("\\" * 100_000)  # rich's markup escape() took minutes over this
        ui.error("[bold]not markup[/]")
    assert time.monotonic() - started < 5
    assert err.getvalue().splitlines()[1] == "error: [bold]not markup[/]"


def test_a_bug_is_one_line_and_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    # cli.main caught click's Exit/Abort, which typer 0.29's vendored click does not have: every
    # unexpected exception became an AttributeError traceback
    def broken(as_json: bool) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(plan_cmd, "list_checks", broken)
    code, lines = run(["policy", "list"])
    assert code == 1
    assert lines == ["error: internal error: RuntimeError: boom (set INFRA_DEBUG=1 for the traceback)"]


@pytest.mark.parametrize("text", ["²", "9" * 5000, "0", "1000000", "r12"])
def test_release_ids_that_are_not(text: str) -> None:
    with pytest.raises(UsageError):
        parse_release_id(text)


@pytest.mark.parametrize("text", ["²", "١٢", "9" * 5000, "[" * 100_000 + "]" * 100_000])
def test_open_pr_lists_that_are_not(text: str) -> None:
    with pytest.raises(UsageError):
        parse_open_prs(text)


@pytest.fixture
def raw(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.delenv(settings.EMULATOR_PORT_ENV, raising=False)
    doc = tomllib.loads((REPO / "infra.toml").read_text())
    doc["residency"]["register"] = str(REPO / doc["residency"]["register"])
    return doc


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.update(enviroments={}), "unknown keys in the top level: 'enviroments'"),
        (lambda r: r["project"].update(colour="blue"), r"unknown keys in \[project\]"),
        (lambda r: r["cdn"].update(cache_all=True), r"unknown keys in \[cdn\]"),
        (lambda r: r["project"].update(name="ngapp\n"), "project.name"),  # "$" matched before "\n"
        (lambda r: r["project"].update(owner="team\nnext"), "not a tag value"),
        (lambda r: r["project"].update(owner="x" * 257), "not a tag value"),
        (lambda r: r["environments"]["dev"]["variables"].update(vpc_cidr=5), "not an IPv4 CIDR"),
        (lambda r: r["residency"].update(domestic_locations=["af-south-1-los-1a\n"]), "Local Zone"),
    ],
)
def test_settings_refuse(raw: dict[str, Any], mutate: Any, message: str) -> None:
    bad = copy.deepcopy(raw)
    mutate(bad)
    with pytest.raises(SettingsError, match=message):
        settings.parse(bad, REPO)


def test_a_bad_port_in_the_file_is_refused_even_when_the_environment_overrides_it(
    raw: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(settings.EMULATOR_PORT_ENV, "4599")
    for port in ("4566", 80, True):
        raw["emulator"]["port"] = port
        with pytest.raises(SettingsError, match=r"emulator\.port"):
            settings.parse(raw, REPO)


def test_a_settings_error_names_the_file(tmp_path: Path) -> None:
    text = (REPO / "infra.toml").read_text().replace('owner = "platform-team"', "owner = 5")
    (tmp_path / "infra.toml").write_text(text)
    with pytest.raises(SettingsError, match=r"infra\.toml: project\.owner"):
        settings.load(tmp_path)


def test_a_config_name_with_a_trailing_newline_is_refused() -> None:
    with pytest.raises(UsageError):
        cfg.check_name_syntax("LOG_LEVEL\n")


@pytest.mark.parametrize("value", ["é", "", "x" * 201, "ok\n"])
def test_a_flag_attribute_is_judged_by_its_schema_before_anything_is_read(value: str) -> None:
    spec = fl.FlagSchema.load(REPO).spec("maintenance_banner")
    with pytest.raises(UsageError, match="attribute message"):
        spec.parse(f"message={value}")


def test_deploy_arguments() -> None:
    for timeout in (float("nan"), float("inf"), 0.0):
        with pytest.raises(UsageError, match="--timeout"):
            deploy_cmd._check_timeout(timeout)
    for url in ("x\ny", "ftp://ci/run", "http://:80/x", "https://ci/" + "x" * 2048):
        with pytest.raises(UsageError, match="--url"):
            deploy_cmd._check_link(url)
    assert deploy_cmd._check_link("https://github.com/o/r/actions/runs/1?a=1") != ""
    with pytest.raises(UsageError, match="--version"):
        check_tag("a/b", "--version")


def test_a_directory_in_place_of_the_promotion_rules_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "promotion.toml").mkdir()
    with pytest.raises(UsageError, match="cannot read"):
        promotion.load_requirements(tmp_path / "promotion.toml")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["preview", "up", "--pr", "12", "--head-sha", "zz"], "--head-sha"),
        (["preview", "up", "--pr", "12", "--image", "NOT/AN:image:"], "image"),
        (["preview", "reap", "--ttl-hours", "inf"], "--ttl-hours"),
        (["smoke", "--env", "dev", "--url", "ftp://x"], "http"),
    ],
)
def test_refused_before_anything_is_touched(argv: list[str], message: str) -> None:
    code, lines = run(argv)
    assert code == 2
    assert len(lines) == 1 and message in lines[0]


def test_paths_too_long_for_the_file_system(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--path"):
        project.detect(tmp_path / HUGE_NAME)
    with pytest.raises(UsageError, match="--out"):
        package.check_out_dir(tmp_path / HUGE_NAME)
    with pytest.raises(UsageError, match="--metrics-file"):
        ops._check_metrics_path(tmp_path / HUGE_NAME)
    with pytest.raises(UsageError, match="--out"):
        docs.check_out(tmp_path / HUGE_NAME)
    with pytest.raises(UsageError, match="--out"):
        docs.check_out(tmp_path)  # a directory


@pytest.mark.parametrize(
    "image", ["ngapp-dev/api:3f2a9c1\n", "ngapp-dev/api\n:3f2a9c1", "ngapp-dev/api:٣"], ids=repr
)
def test_an_image_with_a_trailing_newline_or_unicode_digit_is_refused(image: str) -> None:
    """Validators end in \\Z: "$" also matches before a final newline, so "tag\\n" passed as a tag."""
    with pytest.raises(UsageError):
        Image.parse(image)


@pytest.mark.parametrize(
    ("parse", "value"),
    [
        (residency_scan.parse_regions, "af-south-1,eu-west-٣"),
        (lambda v: ServiceRef.of(settings.load(REPO), "dev", v), "api\n"),
    ],
    ids=["region-digit", "service-newline"],
)
def test_names_with_a_trailing_newline_or_unicode_digit_are_refused(parse: Any, value: str) -> None:
    with pytest.raises(UsageError):
        parse(value)
