"""`infra flags` (envs/flags.py, commands/flags.py) against in-process moto with the AppConfig shims.

The CLI runs in-process with `--target aws`: inside mock_aws its boto3 clients reach moto. The
AppConfig resources are made with boto3 as terraform/modules/flags makes them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import import_module
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from deployment_infra import cli
from deployment_infra.emulator_shims import SHIMS
from deployment_infra.envs import flags as fl
from deployment_infra.errors import UsageError
from tests.conftest import REPO, copy_project
from tests.unit.moto_patches import restoring

REGION = "af-south-1"
BANNER = "maintenance_banner"
SCHEMA = fl.FlagSchema.load(REPO)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("flags-project"))


@pytest.fixture
def appconfig(project: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from moto.appconfig import urls
    from moto.appconfig.models import AppConfigBackend
    from moto.appconfig.responses import AppConfigResponse

    monkeypatch.setenv("INFRA_PROJECT_DIR", str(project))
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    import_module("deployment_infra.emulator_shims_appconfig")
    with restoring([AppConfigBackend, AppConfigResponse], [urls.url_paths]), mock_aws():
        for name in [n for n in SHIMS if n.startswith("appconfig-")]:
            SHIMS[name]()
        yield boto3.client("appconfig", region_name=REGION)


def provision(client: Any, env: str, values: dict[str, Any] | None = None, *, strategy: bool = True) -> str:
    """What terraform/modules/flags creates for `env`; returns the application id."""
    app = client.create_application(Name=f"ngapp-{env}")["Id"]
    env_id = client.create_environment(ApplicationId=app, Name=env)["Id"]
    profile = client.create_configuration_profile(
        ApplicationId=app, Name="flags", LocationUri="hosted", Type=fl.FEATURE_FLAGS
    )["Id"]
    strategy_id = "AppConfig.AllAtOnce"
    if strategy:
        strategy_id = client.create_deployment_strategy(
            Name=f"ngapp-{env}-flags", DeploymentDurationInMinutes=0, GrowthFactor=100, ReplicateTo="NONE"
        )["Id"]
    if values is not None:
        document = {
            "version": "1",
            "flags": {name: {"name": name, "description": "initial"} for name in values},
            "values": values,
        }
        version = client.create_hosted_configuration_version(
            ApplicationId=app,
            ConfigurationProfileId=profile,
            Content=json.dumps(document).encode(),
            ContentType="application/json",
        )["VersionNumber"]
        client.start_deployment(
            ApplicationId=app,
            EnvironmentId=env_id,
            ConfigurationProfileId=profile,
            ConfigurationVersion=str(version),
            DeploymentStrategyId=strategy_id,
        )
    return str(app)


def infra(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main([*args, "--target", "aws"])
    out, err = capsys.readouterr()
    return code, out, err


def listed(capsys: pytest.CaptureFixture[str], env: str) -> dict[str, Any]:
    code, out, err = infra(capsys, "flags", "list", "--env", env, "--json")
    assert code == 0, err
    return dict(json.loads(out))


def versions(client: Any, app: str) -> int:
    [profile] = client.list_configuration_profiles(ApplicationId=app)["Items"]
    items = client.list_hosted_configuration_versions(ApplicationId=app, ConfigurationProfileId=profile["Id"])
    return len(items["Items"])


# -- the schema ------------------------------------------------------------------------------


def test_the_schema_knows_the_services_flag() -> None:
    spec = SCHEMA.spec(BANNER)
    assert "Maintenance-Banner" in spec.description
    assert spec.parse("message=Back at 14:00") == ("message", "Back at 14:00")
    assert spec.definition(["message"])["attributes"]["message"]["constraints"]["type"] == "string"
    with pytest.raises(UsageError, match="unknown flag 'nope'"):
        SCHEMA.spec("nope")
    with pytest.raises(UsageError, match="no attribute 'colour'"):
        spec.parse("colour=red")
    with pytest.raises(UsageError, match="NAME=VALUE"):
        spec.parse("message")


def test_typed_attributes_are_parsed_by_their_schema_type() -> None:
    schema = json.loads((REPO / fl.SCHEMA_FILE).read_text())
    values = schema["properties"]["values"]["properties"]
    values["rollout"] = {
        "description": "a test flag",
        "type": "object",
        "properties": {
            "enabled": {"type": "boolean"},
            "percent": {"type": "integer", "minimum": 0, "maximum": 100},
            "ratio": {"type": "number"},
            "sticky": {"type": "boolean"},
        },
    }
    spec = fl.FlagSchema.parse(schema).spec("rollout")
    assert [spec.parse(a) for a in ("percent=5", "ratio=0.5", "sticky=true")] == [
        ("percent", 5),
        ("ratio", 0.5),
        ("sticky", True),
    ]
    assert spec.constraints("percent") == {"type": "number", "required": False, "minimum": 0, "maximum": 100}
    for bad in ("percent=five", "ratio=x", "sticky=yes"):
        with pytest.raises(UsageError, match="must be a"):
            spec.parse(bad)


def test_a_broken_schema_is_refused() -> None:
    with pytest.raises(UsageError, match="not a feature-flag schema"):
        fl.FlagSchema.parse({"type": "object"})
    with pytest.raises(UsageError, match="not a feature-flag schema"):
        fl.FlagSchema.parse({"type": 5})


OPS = st.lists(
    st.tuples(
        st.sampled_from([True, False, None]),
        st.none() | st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=30),
    ),
    max_size=8,
)


@settings(max_examples=100)
@given(ops=OPS)
def test_any_sequence_of_changes_stays_valid_and_is_idempotent(
    ops: list[tuple[bool | None, str | None]],
) -> None:
    spec = SCHEMA.spec(BANNER)
    document, enabled, message = fl.empty_document(), False, None
    for switch, text in ops:
        attributes = {} if text is None else {"message": text}
        once = fl.updated_document(document, spec, enabled=switch, attributes=attributes)
        assert fl.updated_document(once, spec, enabled=switch, attributes=attributes) == once
        assert SCHEMA.problems(once) == []
        document = once
        enabled = enabled if switch is None else switch
        message = message if text is None else text
    if ops:
        expected = {"enabled": enabled, **({} if message is None else {"message": message})}
        assert fl.evaluated(document)[BANNER] == expected
    else:
        assert fl.evaluated(document) == {}


def test_problems_name_the_place() -> None:
    document = fl.updated_document(fl.empty_document(), SCHEMA.spec(BANNER), enabled=True, attributes={})
    document["values"][BANNER]["message"] = "é"
    assert SCHEMA.problems(document) == [
        f"values/{BANNER}/message: 'é' does not match '^[\\\\x20-\\\\x7e]{{1,200}}$'"
    ]
    orphan = {"version": "1", "flags": {}, "values": {BANNER: {"enabled": True}}}
    assert SCHEMA.problems(orphan) == [f"values: {BANNER} have no definition under flags"]


# -- the CLI ---------------------------------------------------------------------------------


def test_list_shows_what_is_deployed_and_known_flags_never_set(
    appconfig: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    provision(appconfig, "dev", {BANNER: {"enabled": True, "message": "soon"}})
    got = listed(capsys, "dev")
    assert (got["application"], got["version"], got["deployment"]) == ("ngapp-dev", 1, 1)
    assert got["flags"] == {BANNER: {"enabled": True, "message": "soon"}} and got["unset"] == []
    provision(appconfig, "staging")
    got = listed(capsys, "staging")
    assert (got["version"], got["flags"], got["unset"]) == (None, {}, [BANNER])
    code, _out, err = infra(capsys, "flags", "list", "--env", "dev")
    assert code == 0, err


def test_enable_writes_deploys_and_is_idempotent(appconfig: Any, capsys: pytest.CaptureFixture[str]) -> None:
    app = provision(appconfig, "dev", {BANNER: {"enabled": False}})
    code, out, err = infra(capsys, "flags", "enable", "--env", "dev", BANNER, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert (report["changed"], report["version"], report["deployment"], report["state"]) == (
        True,
        2,
        2,
        "COMPLETE",
    )
    assert listed(capsys, "dev")["flags"] == {BANNER: {"enabled": True}}

    code, _out, err = infra(capsys, "flags", "enable", "--env", "dev", BANNER)
    assert code == 0 and "already enabled" in err and "no new version" in err
    assert versions(appconfig, app) == 2

    code, _out, err = infra(capsys, "flags", "disable", "--env", "dev", BANNER)
    assert code == 0 and "version 3, deployment 3" in err
    assert listed(capsys, "dev")["flags"] == {BANNER: {"enabled": False}}


def test_set_attributes_declares_them_and_validates(
    appconfig: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    app = provision(appconfig, "dev", {BANNER: {"enabled": False}})
    code, _out, err = infra(
        capsys, "flags", "set", "--env", "dev", BANNER, "--attr", "message=Back at 14:00", "--enabled"
    )
    assert code == 0, err
    assert listed(capsys, "dev")["flags"] == {BANNER: {"enabled": True, "message": "Back at 14:00"}}
    [profile] = appconfig.list_configuration_profiles(ApplicationId=app)["Items"]
    content = appconfig.get_hosted_configuration_version(
        ApplicationId=app, ConfigurationProfileId=profile["Id"], VersionNumber=2
    )["Content"].read()
    assert json.loads(content)["flags"][BANNER]["attributes"]["message"]["constraints"]["type"] == "string"

    for args, message in (
        ((BANNER, "--attr", "message=é"), "does not match"),
        ((BANNER, "--attr", "colour=red"), "no attribute 'colour'"),
        (("nope", "--attr", "message=x"), "unknown flag 'nope'"),
        ((BANNER,), "nothing to change"),
    ):
        code, _out, err = infra(capsys, "flags", "set", "--env", "dev", *args)
        assert code == 2 and message in err, err
    code, _out, err = infra(capsys, "flags", "enable", "--env", "dev", "nope")
    assert code == 2 and "unknown flag" in err
    assert versions(appconfig, app) == 2


def test_prod_needs_confirmation(appconfig: Any, capsys: pytest.CaptureFixture[str]) -> None:
    app = provision(appconfig, "prod", {BANNER: {"enabled": False}})
    code, _out, err = infra(capsys, "flags", "enable", "--env", "prod", BANNER)
    assert code == 2 and "prod is protected" in err and "nothing changed" in err
    assert versions(appconfig, app) == 1
    code, _out, err = infra(capsys, "flags", "enable", "--env", "prod", BANNER, "--yes")
    assert code == 0, err
    assert listed(capsys, "prod")["flags"][BANNER]["enabled"] is True


def test_missing_resources_and_a_foreign_document_are_refused(
    appconfig: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = infra(capsys, "flags", "enable", "--env", "dev", BANNER)
    assert code == 1 and "no AppConfig application 'ngapp-dev'" in err and "apply the flags module" in err
    code, _out, err = infra(capsys, "flags", "list", "--env", "qa")
    assert code == 2 and "unknown environment" in err

    app = provision(appconfig, "dev", {BANNER: {"enabled": False}, "not_in_schema": {"enabled": True}})
    code, _out, err = infra(capsys, "flags", "enable", "--env", "dev", BANNER)
    assert code == 1 and "do not match" in err and "not_in_schema" in err
    assert versions(appconfig, app) == 1


def test_without_a_named_strategy_the_last_deployments_is_used(
    appconfig: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    app = provision(appconfig, "dev", {BANNER: {"enabled": False}}, strategy=False)
    code, _out, err = infra(capsys, "flags", "enable", "--env", "dev", BANNER)
    assert code == 0, err
    [env] = appconfig.list_environments(ApplicationId=app)["Items"]
    latest = appconfig.get_deployment(ApplicationId=app, EnvironmentId=env["Id"], DeploymentNumber=2)
    assert latest["DeploymentStrategyId"] == "AppConfig.AllAtOnce"

    provision(appconfig, "staging", strategy=False)  # never deployed, no strategy: nothing to go by
    code, _out, err = infra(capsys, "flags", "enable", "--env", "staging", BANNER)
    assert code == 1 and "no deployment strategy 'ngapp-staging-flags'" in err


def test_a_concurrent_change_is_a_conflict_not_a_lost_update(appconfig: Any) -> None:
    from deployment_infra.settings import load

    app = provision(appconfig, "dev", {BANNER: {"enabled": False}})
    ref = fl.FlagsRef.of(load(), "dev")
    mine = fl.read(appconfig, ref)
    theirs = fl.read(appconfig, ref)
    spec = SCHEMA.spec(BANNER)
    fl.publish(
        appconfig, ref, theirs, fl.updated_document(theirs.document, spec, enabled=True, attributes={}), "x"
    )
    with pytest.raises(ClientError, match="ConflictException"):
        fl.publish(
            appconfig, ref, mine, fl.updated_document(mine.document, spec, enabled=False, attributes={}), "y"
        )
    assert versions(appconfig, app) == 2
