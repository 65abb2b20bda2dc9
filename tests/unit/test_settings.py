"""Settings validation: every bad value is a one-line SettingsError naming the key."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from deployment_infra import settings
from deployment_infra.errors import SettingsError, UsageError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_port_override(monkeypatch: pytest.MonkeyPatch) -> None:
    # the session's emulator fixture exports INFRA_EMULATOR_PORT; these tests read the file
    monkeypatch.delenv(settings.EMULATOR_PORT_ENV, raising=False)


@pytest.fixture
def raw() -> dict[str, Any]:
    doc = tomllib.loads((REPO / "infra.toml").read_text())
    # parse() runs against scratch roots: point it at the repo's register (absolute wins)
    doc["residency"]["register"] = str(REPO / doc["residency"]["register"])
    return doc


def test_repo_settings_load() -> None:
    s = settings.load(REPO)
    assert s.default_region == "af-south-1"
    assert set(s.environments) == {"dev", "staging", "prod"}
    assert s.environment("prod").protected and not s.environment("staging").protected
    assert s.environment("staging").highly_available and s.environment("prod").highly_available
    assert not s.environment("dev").highly_available
    # only public data may leave af-south-1, and only for CloudFront's us-east-1 control plane;
    # the Lagos Local Zone (inside Nigeria) is open to every class
    assert s.allowed_regions["public"] == frozenset({"af-south-1", "af-south-1-los-1a", "us-east-1"})
    assert all(
        regions == frozenset({"af-south-1", "af-south-1-los-1a"})
        for c, regions in s.allowed_regions.items()
        if c != "public"
    )
    assert s.personal_classes == frozenset({"personal", "sensitive-personal"})
    assert s.domestic_locations == frozenset({"af-south-1-los-1a"})
    # Cape Town is outside Nigeria: the personal data the roots hold there is registered
    registered = {(t.data_class, t.destination) for t in s.transfers}
    assert registered == {("personal", "af-south-1"), ("sensitive-personal", "af-south-1")}
    assert all(t.legal_basis.startswith(("s.41", "s.43")) for t in s.transfers)
    assert "/api/*" in s.never_cache_paths
    assert s.default_tags(s.environment("dev"))["Environment"] == "dev"
    assert s.environment("dev").variables["vpc_cidr"] == "10.10.0.0/16"


def test_unknown_environment_lists_valid_ones() -> None:
    s = settings.load(REPO)
    with pytest.raises(UsageError, match=r"unknown environment 'nope'; valid: dev, prod, staging"):
        s.environment("nope")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r["project"].update(name="Bad Name"), "project.name"),
        (lambda r: r["project"].update(default_region="mars-1"), "not an AWS region"),
        (lambda r: r["project"].pop("owner"), "project.owner"),
        (lambda r: r.pop("project"), r"\[project\] section"),
        (lambda r: r["tags"].update(required=[]), "tags.required"),
        (lambda r: r["tags"].update(required=["ok", "bad key!"]), "not a valid tag key"),
        (lambda r: r["residency"].update(default_class="secret"), "residency.default_class"),
        (lambda r: r["residency"]["allowed_regions"].update(personal=[]), "allowed_regions.personal"),
        (lambda r: r["residency"]["allowed_regions"].update(personal=["nowhere"]), "not an AWS region"),
        (lambda r: r["residency"]["allowed_regions"].update(internal=["eu-west-1"]), "default_region"),
        (lambda r: r["emulator"].update(port=80), "emulator.port"),
        (lambda r: r["emulator"].update(port="x"), "emulator.port"),
        (lambda r: r["environments"].update(ghost={}), "no directory terraform/environments/ghost"),
        (lambda r: r["environments"]["dev"].update(colour="blue"), "unknown keys colour"),
        (lambda r: r["environments"]["dev"].update(tags={"k": 1}), "tags must map"),
        (lambda r: r["environments"]["dev"].update(variables={"Bad-Name": 1}), "variables must map"),
        (lambda r: r["environments"]["dev"].update(protected="yes"), "protected"),
        (lambda r: r["environments"]["dev"].update(high_availability=1), "high_availability"),
        (lambda r: r["project"].update(domain="Not A Domain"), "project.domain"),
        (
            lambda r: r["environments"]["staging"]["variables"].update(vpc_cidr="10.10.128.0/17"),
            "overlapping",
        ),
        (
            lambda r: r["environments"]["prod"]["variables"].update(vpc_cidr="10.300.0.0/16"),
            "not an IPv4 CIDR",
        ),
    ],
)
def test_invalid_settings_are_refused(raw: dict[str, Any], mutate: Any, message: str) -> None:
    bad = copy.deepcopy(raw)
    mutate(bad)
    with pytest.raises(SettingsError, match=message) as info:
        settings.parse(bad, REPO)
    assert "\n" not in str(info.value)


def test_port_from_environment(raw: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(settings.EMULATOR_PORT_ENV, "4999")
    assert settings.parse(raw, REPO).emulator_port == 4999
    monkeypatch.setenv(settings.EMULATOR_PORT_ENV, "99999")
    with pytest.raises(SettingsError, match="INFRA_EMULATOR_PORT"):
        settings.parse(raw, REPO)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"[project\nname=", "invalid TOML"), (b"\xff\xfe\x00junk", "not UTF-8")],
)
def test_unreadable_file(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "infra.toml").write_bytes(content)
    with pytest.raises(SettingsError, match=message):
        settings.load(tmp_path)


def test_prod_is_protected_by_default(raw: dict[str, Any], tmp_path: Path) -> None:
    for env in ("dev", "staging", "prod"):
        (tmp_path / "terraform" / "environments" / env).mkdir(parents=True)
    raw = copy.deepcopy(raw)
    raw["environments"]["prod"].pop("protected", None)
    s = settings.parse(raw, tmp_path)
    assert s.environment("prod").protected
    assert not s.environment("dev").protected


def test_find_root_walks_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(settings.PROJECT_DIR_ENV, raising=False)
    (tmp_path / "infra.toml").write_text("")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert settings.find_root(deep) == tmp_path.resolve()
    monkeypatch.setenv(settings.PROJECT_DIR_ENV, str(deep))
    with pytest.raises(UsageError, match=r"has no infra\.toml"):
        settings.find_root()


def test_tag_defaults_reach_every_environment_and_the_shared_state(
    raw: dict[str, Any], tmp_path: Path
) -> None:
    for env in ("dev", "prod"):
        (tmp_path / "terraform" / "environments" / env).mkdir(parents=True)
    raw = copy.deepcopy(raw)
    raw["environments"] = {"prod": {"tags": {"CostCenter": "production"}}}
    raw["tags"]["defaults"] = {"CostCenter": "platform"}
    s = settings.parse(raw, tmp_path)
    assert s.shared_tags()["CostCenter"] == "platform"
    assert s.default_tags(s.environment("dev"))["CostCenter"] == "platform"
    assert s.default_tags(s.environment("prod"))["CostCenter"] == "production"  # an environment overrides
    raw["tags"]["defaults"] = {"CostCenter": ""}
    with pytest.raises(SettingsError, match=r"tags\.defaults must map tag keys to non-empty strings"):
        settings.parse(raw, tmp_path)
