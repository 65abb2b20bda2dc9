"""The rotation Lambda against a real PostgreSQL server, with Secrets Manager and ECS from moto."""

from __future__ import annotations

import json
import logging
from typing import Any

import boto3
import pytest

from deployment_infra.lambdas import common
from deployment_infra.lambdas import rotate_postgres as rp
from tests.rotation.conftest import MASTER, REGION, Postgres, Rotation, Services

CURRENT, PENDING, PREVIOUS = "AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"


def labelled(stages: dict[str, list[str]]) -> dict[str, list[str]]:
    """Versions that carry a label (Secrets Manager deprecates the others)."""
    return {v: s for v, s in stages.items() if s}


# --- a rotation that works -------------------------------------------------------------------------


def test_bootstrap_rotation_creates_the_first_user(rotation: Rotation) -> None:
    assert rotation.pg.run("SELECT 1 FROM pg_roles WHERE rolname = :n", n=rotation.base) == []
    before = rotation.version_with(CURRENT)
    token = rotation.rotate()
    current = rotation.value()
    assert rotation.version_with(CURRENT) == token
    assert rotation.version_with(PREVIOUS) == before  # the version without a password
    assert rotation.version_with(PENDING) is None
    assert current["username"] == rotation.base
    assert len(current["password"]) == rp.PASSWORD_LENGTH
    assert not set(current["password"]) & set(rp.EXCLUDED_CHARACTERS)
    assert {k: v for k, v in current.items() if k != "password"} == rotation.initial  # nothing else moved
    assert rotation.logs_in(current)
    roles = rotation.roles()
    by_name = {r[0]: r for r in roles["roles"]}
    assert by_name[rotation.group][1] is False  # the group cannot log in
    assert by_name[rotation.base][3] == [f"role={rotation.group}"]  # sessions act as the group
    assert roles["members"] == [[rotation.group, rotation.base]]


def test_new_credentials_log_in_and_previous_ones_still_do(rotated: Rotation) -> None:
    previous = rotated.value()
    token = rotated.rotate()
    current = rotated.value()
    assert rotated.version_with(CURRENT) == token
    assert current["username"] == rotated.base + rp.CLONE_SUFFIX
    assert current["password"] != previous["password"]
    assert rotated.value(PREVIOUS) == previous
    assert rotated.logs_in(current)
    assert rotated.logs_in(previous)  # tasks not yet rolled keep working


def test_two_rotations_alternate_the_users(rotated: Rotation) -> None:
    first = rotated.rotate()
    second = rotated.rotate()
    stages = labelled(rotated.stages())
    assert sorted(stages.values()) == [[CURRENT], [PREVIOUS]]  # exactly one of each, nothing pending
    assert stages[second] == [CURRENT] and stages[first] == [PREVIOUS]
    current, previous = rotated.value(), rotated.value(PREVIOUS)
    assert {current["username"], previous["username"]} == {rotated.base, rotated.base + rp.CLONE_SUFFIX}
    assert current["username"] == rotated.base  # back to the base user on the second rotation
    assert rotated.logs_in(current) and rotated.logs_in(previous)


def test_a_new_seed_leaves_the_user_tasks_run_with_alone(rotated: Rotation) -> None:
    """Terraform re-seeds the secret (AWSCURRENT without a password) when its fields change; the
    rotation that follows must not change the password that running tasks (AWSPREVIOUS) hold."""
    in_use = rotated.value()
    assert in_use["username"] == rotated.base
    rotated.reseed()
    assert "password" not in rotated.value() and rotated.value(PREVIOUS) == in_use
    rotated.rotate()
    assert rotated.value()["username"] == rotated.base + rp.CLONE_SUFFIX
    assert rotated.logs_in(rotated.value())
    assert rotated.logs_in(in_use)


def test_objects_one_user_creates_are_usable_by_the_other(rotated: Rotation) -> None:
    """The group owns what either user creates, so a rotation never strands a table."""
    # the one grant a DBA makes when setting the database up: the group may create in the schema
    master = rotated.pg.connect(MASTER, rotated.pg.passwords[MASTER], rotated.dbname)
    try:
        master.run(f"GRANT USAGE, CREATE ON SCHEMA public TO {rotated.group}")
    finally:
        master.close()
    first = rotated.value()
    con = rotated.pg.connect(first["username"], first["password"], rotated.dbname)
    try:
        con.run("CREATE TABLE orders (id int)")
        con.run("INSERT INTO orders VALUES (1)")
    finally:
        con.close()
    rotated.rotate()
    second = rotated.value()
    con = rotated.pg.connect(second["username"], second["password"], rotated.dbname)
    try:
        con.run("INSERT INTO orders VALUES (2)")
        assert con.run("SELECT count(*) FROM orders") == [[2]]
        owner = con.run("SELECT tableowner FROM pg_tables WHERE tablename = 'orders'")
    finally:
        con.close()
    assert owner == [[rotated.group]]


def test_tls_when_sslmode_is_require(postgres: Postgres, aws: None) -> None:
    rotation = Rotation(postgres, sslmode="require")
    rotation.rotate()
    current = rotation.value()
    assert current["sslmode"] == "require"
    con = rp.connect(rp.database(current), current["username"], current["password"])
    try:
        pid = con.run("SELECT pg_backend_pid()")[0][0]
        assert postgres.run("SELECT ssl FROM pg_stat_ssl WHERE pid = :pid", pid=pid) == [[True]]
    finally:
        con.close()


# --- idempotence -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["rotation", "rotated"])  # the bootstrap, then an alternation
def test_running_each_step_twice_changes_nothing(fixture: str, request: pytest.FixtureRequest) -> None:
    subject: Rotation = request.getfixturevalue(fixture)
    token = subject.start()
    for step in common.STEPS:
        subject.step(token, step)
        after_once = subject.snapshot()
        subject.step(token, step)
        assert subject.snapshot() == after_once, f"{step} changed something the second time"
    assert subject.version_with(CURRENT) == token
    assert subject.logs_in(subject.value())


# --- failures leave AWSCURRENT working -------------------------------------------------------------


def assert_current_untouched(subject: Rotation, version: str | None, creds: dict[str, Any]) -> None:
    assert subject.version_with(CURRENT) == version
    assert subject.value() == creds
    assert subject.logs_in(creds)


def test_set_secret_failure_leaves_current_and_a_retry_completes(rotated: Rotation) -> None:
    version, creds = rotated.version_with(CURRENT), rotated.value()
    rotated.sm.put_secret_value(
        SecretId=rotated.master_arn, SecretString=json.dumps({"username": MASTER, "password": "wrong"})
    )
    token = rotated.start()
    rotated.step(token, "createSecret")
    with pytest.raises(Exception, match="password authentication failed"):
        rotated.step(token, "setSecret")
    assert_current_untouched(rotated, version, creds)
    clone = rotated.base + rp.CLONE_SUFFIX
    assert rotated.pg.run("SELECT 1 FROM pg_roles WHERE rolname = :n", n=clone) == []
    # the master password is put right; Secrets Manager retries the rotation with the same token
    rotated.sm.put_secret_value(
        SecretId=rotated.master_arn,
        SecretString=json.dumps({"username": MASTER, "password": rotated.pg.passwords[MASTER]}),
    )
    for step in ("setSecret", "testSecret", "finishSecret"):
        rotated.step(token, step)
    assert rotated.version_with(CURRENT) == token
    assert rotated.logs_in(rotated.value()) and rotated.logs_in(creds)


@pytest.mark.parametrize(
    ("sabotage", "error"),
    [
        ("ALTER ROLE {user} PASSWORD 'changed-behind-its-back'", "password authentication failed"),
        ("REVOKE {group} FROM {user}", "not a member"),
    ],
)
def test_test_secret_failure_leaves_current(rotated: Rotation, sabotage: str, error: str) -> None:
    version, creds = rotated.version_with(CURRENT), rotated.value()
    token = rotated.start()
    rotated.step(token, "createSecret")
    rotated.step(token, "setSecret")
    user = rotated.value(PENDING, token)["username"]
    rotated.pg.run(sabotage.format(user=user, group=rotated.group))
    with pytest.raises(Exception, match=error):
        rotated.step(token, "testSecret")
    assert_current_untouched(rotated, version, creds)
    assert rotated.version_with(PENDING) == token  # Secrets Manager retries from here


def test_refuses_to_rotate_the_master_user(rotation: Rotation) -> None:
    rotation.sm.put_secret_value(
        SecretId=rotation.arn, SecretString=json.dumps({**rotation.initial, "username": MASTER})
    )
    version, token = rotation.version_with(CURRENT), rotation.start()
    rotation.step(token, "createSecret")
    with pytest.raises(rp.RotationError, match="master user"):
        rotation.step(token, "setSecret")
    assert rotation.version_with(CURRENT) == version


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"username": 'app"; DROP ROLE postgres; --'}, "not a valid role name"),
        ({"username": "App"}, "not a valid role name"),
        ({"group": "x" * 64}, "not a valid role name"),
        ({"sslmode": "prefer"}, "sslmode"),
        ({"host": ""}, "no host"),
    ],
)
def test_create_secret_refuses_a_malformed_secret(
    rotation: Rotation, change: dict[str, str], error: str
) -> None:
    rotation.sm.put_secret_value(
        SecretId=rotation.arn, SecretString=json.dumps({**rotation.initial, **change})
    )
    before = rotation.stages()
    token = rotation.start()
    with pytest.raises(rp.RotationError, match=error):
        rotation.step(token, "createSecret")
    assert rotation.values()[token] is None  # no pending value was stored
    assert {v: s for v, s in rotation.stages().items() if v != token} == before


# --- the checks every step makes first -----------------------------------------------------------


def test_rotation_must_be_enabled(postgres: Postgres, aws: None) -> None:
    sm = boto3.client("secretsmanager", region_name=REGION)
    arn = sm.create_secret(Name="/ngapp/test/db/unrotated", SecretString="{}")["ARN"]
    token = sm.describe_secret(SecretId=arn)["VersionIdsToStages"].popitem()[0]
    with pytest.raises(rp.RotationError, match="not enabled for rotation"):
        rp.handler({"SecretId": arn, "ClientRequestToken": token, "Step": "createSecret"}, None)


def test_token_must_be_a_pending_version(rotated: Rotation) -> None:
    previous = rotated.version_with(PREVIOUS)
    assert previous
    with pytest.raises(rp.RotationError, match="is not a version"):
        rotated.step("00000000-0000-4000-8000-000000000000", "createSecret")
    with pytest.raises(rp.RotationError, match="not AWSPENDING"):
        rotated.step(previous, "setSecret")
    with pytest.raises(rp.RotationError, match="unknown step"):
        rotated.step(previous, "dropSecret")


def test_a_token_already_current_changes_nothing(rotated: Rotation) -> None:
    current = rotated.version_with(CURRENT)
    assert current
    before = rotated.snapshot()
    for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
        rotated.step(current, step)
    assert rotated.snapshot() == before


def test_no_password_is_logged(rotation: Rotation, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=rp.logger.name)
    rotation.rotate()
    rotation.rotate()
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == rp.logger.name)
    assert "createSecret" in text and "finishSecret" in text  # it did log the steps
    secrets = [
        rotation.value()["password"],
        rotation.value(PREVIOUS)["password"],
        rotation.pg.passwords[MASTER],
    ]
    for secret in secrets:
        assert secret not in text
    assert "SCRAM-SHA-256$" not in text


# --- finishSecret rolls the ECS services ------------------------------------------------------------


def test_finish_secret_rolls_the_listed_services(rotated: Rotation, monkeypatch: pytest.MonkeyPatch) -> None:
    services = Services()
    monkeypatch.setenv(common.RESTART_ENV, json.dumps([services.arns["api"], services.arns["worker"]]))
    before = services.deployments()
    token = rotated.start()
    for step in ("createSecret", "setSecret", "testSecret"):
        rotated.step(token, step)
    assert services.deployments() == before  # nothing rolls before AWSCURRENT has moved
    rotated.step(token, "finishSecret")
    after = services.deployments()
    assert after["api"] != before["api"] and after["worker"] != before["worker"]
    assert after["unrelated"] == before["unrelated"]
    assert rotated.version_with(CURRENT) == token


def test_a_failed_roll_is_raised_and_the_retry_rolls(
    rotated: Rotation, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = Services()
    missing = services.arns["api"].replace("/api", "/gone")
    monkeypatch.setenv(common.RESTART_ENV, json.dumps([missing, services.arns["api"]]))
    before = services.deployments()
    token = rotated.start()
    for step in ("createSecret", "setSecret", "testSecret"):
        rotated.step(token, step)
    with pytest.raises(rp.RotationError, match="could not roll 1 ECS service"):
        rotated.step(token, "finishSecret")
    assert rotated.version_with(CURRENT) == token  # the switch happened; the others were still rolled
    rolled_once = services.deployments()
    assert rolled_once["api"] != before["api"]
    monkeypatch.setenv(common.RESTART_ENV, json.dumps([services.arns["api"]]))  # the operator fixes the list
    rotated.step(token, "finishSecret")  # Secrets Manager's retry: the token is AWSCURRENT by now
    assert services.deployments()["api"] != rolled_once["api"]


@pytest.mark.parametrize("setting", ["not json", '{"a": 1}', '["arn:aws:ecs:af-south-1:123:service/x"]'])
def test_a_bad_service_list_fails_before_anything_moves(
    rotated: Rotation, monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    monkeypatch.setenv(common.RESTART_ENV, setting)
    version = rotated.version_with(CURRENT)
    token = rotated.start()
    for step in ("createSecret", "setSecret", "testSecret"):
        rotated.step(token, step)
    with pytest.raises(rp.RotationError, match=common.RESTART_ENV):
        rotated.step(token, "finishSecret")
    assert rotated.version_with(CURRENT) == version
    assert rotated.version_with(PENDING) == token


# --- pure helpers ----------------------------------------------------------------------------------


def test_quoting() -> None:
    assert rp.quote_ident("app") == '"app"'
    assert rp.quote_ident('a"b') == '"a""b"'
    assert rp.quote_literal("it's") == "E'it''s'"
    assert rp.quote_literal("a\\b") == "E'a\\\\b'"
    with pytest.raises(ValueError):
        rp.quote_ident("")
    with pytest.raises(ValueError):
        rp.quote_literal("a\x00b")


def test_usernames_alternate() -> None:
    assert rp.other_username("app") == "app_clone"
    assert rp.other_username("app_clone") == "app"
    assert rp.base_username("app_clone") == "app"
    assert rp.group_name({"username": "app_clone"}) == "app_group"
    assert rp.group_name({"username": "app", "group": "owners"}) == "owners"


def test_scram_verifier_is_what_postgres_checks(rotation: Rotation) -> None:
    """A verifier computed here lets PostgreSQL accept the password it was made from."""
    verifier = rp.scram_sha256_verifier("Xy7-pass_word!", b"0123456789abcdef")
    assert verifier.startswith("SCRAM-SHA-256$4096:MDEyMzQ1Njc4OWFiY2RlZg==$")
    rotation.pg.run(f"CREATE ROLE {rotation.base}_probe LOGIN PASSWORD {rp.quote_literal(verifier)}")
    assert rotation.logs_in({"username": f"{rotation.base}_probe", "password": "Xy7-pass_word!"})
    assert not rotation.logs_in({"username": f"{rotation.base}_probe", "password": "Xy7-pass_word?"})
