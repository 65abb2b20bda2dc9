"""The cache-token rotation Lambda against a TLS RESP server, with Secrets Manager, ElastiCache and ECS
from moto (ElastiCache's AUTH token wired to the server: conftest.FakeElastiCache)."""

from __future__ import annotations

import json
import logging
import re
import string

import pytest

from deployment_infra.lambdas import common
from deployment_infra.lambdas import rotate_redis_auth as rra
from tests.rotation.conftest import CacheRotation, FakeElastiCache, Services
from tests.rotation.resp_server import NOAUTH, WRONGPASS

CURRENT, PENDING, PREVIOUS = "AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"


def token_of(subject: CacheRotation, stage: str = CURRENT, version_id: str | None = None) -> str:
    token = subject.value(stage, version_id)["token"]
    assert isinstance(token, str)
    return token


def assert_current_untouched(subject: CacheRotation, version: str | None, token: str) -> None:
    assert subject.version_with(CURRENT) == version
    assert token_of(subject) == token
    assert subject.authenticates(token)


# --- a rotation that works -------------------------------------------------------------------------


def test_bootstrap_rotation_turns_auth_on(cache_rotation: CacheRotation) -> None:
    assert cache_rotation.open_without_token()  # created without a token: TLS only
    before = cache_rotation.version_with(CURRENT)
    token = cache_rotation.rotate()
    current = cache_rotation.value()
    assert cache_rotation.version_with(CURRENT) == token
    assert cache_rotation.version_with(PREVIOUS) == before  # the seed without a token
    assert cache_rotation.version_with(PENDING) is None
    assert {k: v for k, v in current.items() if k != "token"} == cache_rotation.initial
    assert len(current["token"]) == rra.TOKEN_LENGTH
    assert set(current["token"]) <= set(string.ascii_letters + string.digits)
    assert cache_rotation.authenticates(current["token"])
    assert cache_rotation.ask(["PING"]) == [NOAUTH]  # AUTH is required from now on
    assert cache_rotation.cache.calls == [
        {
            "ReplicationGroupId": cache_rotation.group_id,
            "AuthTokenUpdateStrategy": "ROTATE",
            "ApplyImmediately": True,
        }
    ]
    group = cache_rotation.ec.describe_replication_groups(ReplicationGroupId=cache_rotation.group_id)
    assert group["ReplicationGroups"][0]["AuthTokenEnabled"] is True
    assert group["ReplicationGroups"][0]["Status"] == "available"


def test_old_and_new_tokens_both_work_after_a_second_rotation(cache_rotated: CacheRotation) -> None:
    previous = token_of(cache_rotated)
    token = cache_rotated.rotate()
    current = token_of(cache_rotated)
    assert cache_rotated.version_with(CURRENT) == token
    assert current != previous
    assert token_of(cache_rotated, PREVIOUS) == previous
    assert cache_rotated.authenticates(current)
    assert cache_rotated.authenticates(previous)  # tasks not yet rolled keep working
    assert cache_rotated.server.current_tokens() == [previous, current]


def test_each_rotation_retires_the_token_from_two_rotations_ago(cache_rotated: CacheRotation) -> None:
    """ROTATE keeps two tokens: a third rotation retires the first, which no task holds by then."""
    first = token_of(cache_rotated)
    cache_rotated.rotate()
    second = token_of(cache_rotated)
    cache_rotated.rotate()
    third = token_of(cache_rotated)
    assert cache_rotated.ask(["AUTH", first]) == [WRONGPASS]
    assert cache_rotated.authenticates(second) and cache_rotated.authenticates(third)
    stages = {v: s for v, s in cache_rotated.stages().items() if set(s) & {CURRENT, PREVIOUS, PENDING}}
    assert sorted(stages.values()) == [[CURRENT, rra.APPLIED_STAGE], [PREVIOUS]]


def test_a_new_seed_leaves_the_token_tasks_run_with_working(cache_rotated: CacheRotation) -> None:
    """Terraform re-seeds the secret (AWSCURRENT without a token) when its fields change; tasks
    still hold AWSPREVIOUS's token, which the next ROTATE must keep."""
    cache_rotated.rotate()
    in_use = token_of(cache_rotated)
    cache_rotated.reseed()
    assert "token" not in cache_rotated.value() and token_of(cache_rotated, PREVIOUS) == in_use
    cache_rotated.rotate()
    assert cache_rotated.authenticates(token_of(cache_rotated))
    assert cache_rotated.authenticates(in_use)


# --- idempotence -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["cache_rotation", "cache_rotated"])  # bootstrap, then a rotation
def test_running_each_step_twice_changes_nothing(fixture: str, request: pytest.FixtureRequest) -> None:
    subject: CacheRotation = request.getfixturevalue(fixture)
    token = subject.start()
    for step in common.STEPS:
        subject.step(token, step)
        after_once = subject.snapshot()
        subject.step(token, step)
        assert subject.snapshot() == after_once, f"{step} changed something the second time"
    assert subject.version_with(CURRENT) == token
    assert subject.authenticates(token_of(subject))
    assert len(subject.cache.calls) == (1 if fixture == "cache_rotation" else 2)  # one ROTATE each


def test_a_token_already_current_changes_nothing(cache_rotated: CacheRotation) -> None:
    current = cache_rotated.version_with(CURRENT)
    assert current
    before = cache_rotated.snapshot()
    for step in common.STEPS:
        cache_rotated.step(current, step)
    assert cache_rotated.snapshot() == before


# --- failures leave AWSCURRENT working -------------------------------------------------------------


def test_set_secret_fails_while_the_group_is_not_available(cache_rotated: CacheRotation) -> None:
    version, token = cache_rotated.version_with(CURRENT), token_of(cache_rotated)
    cache_rotated.group().status = "snapshotting"
    pending = cache_rotated.start()
    cache_rotated.step(pending, "createSecret")
    with pytest.raises(rra.RotationError, match="'snapshotting', not available"):
        cache_rotated.step(pending, "setSecret")
    assert_current_untouched(cache_rotated, version, token)
    assert not cache_rotated.authenticates(token_of(cache_rotated, PENDING, pending))
    assert len(cache_rotated.cache.calls) == 1  # only the bootstrap's ROTATE
    # the snapshot ends; Secrets Manager retries with the same token
    cache_rotated.group().status = "available"
    for step in ("setSecret", "testSecret", "finishSecret"):
        cache_rotated.step(pending, step)
    assert cache_rotated.version_with(CURRENT) == pending
    assert cache_rotated.authenticates(token_of(cache_rotated)) and cache_rotated.authenticates(token)


def test_set_secret_gives_up_waiting_and_a_retry_completes(
    cache_rotated: CacheRotation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wait is bounded; a modification that takes longer is picked up by the retry."""
    version, token = cache_rotated.version_with(CURRENT), token_of(cache_rotated)
    cache_rotated.cache.modify_polls = 10**9
    monkeypatch.setenv(rra.MODIFY_TIMEOUT_ENV, "0.1")
    pending = cache_rotated.start()
    cache_rotated.step(pending, "createSecret")
    with pytest.raises(rra.RotationError, match="still 'modifying'"):
        cache_rotated.step(pending, "setSecret")
    assert_current_untouched(cache_rotated, version, token)
    with pytest.raises(rra.RotationError, match="'modifying', not available"):
        cache_rotated.step(pending, "setSecret")  # a retry while ElastiCache is still at it
    cache_rotated.cache.finish()
    for step in ("setSecret", "testSecret", "finishSecret"):
        cache_rotated.step(pending, step)
    assert len(cache_rotated.cache.calls) == 2  # the retries did not ROTATE again
    assert cache_rotated.version_with(CURRENT) == pending
    assert cache_rotated.authenticates(token_of(cache_rotated)) and cache_rotated.authenticates(token)


def test_test_secret_failure_leaves_current(cache_rotated: CacheRotation) -> None:
    version, token = cache_rotated.version_with(CURRENT), token_of(cache_rotated)
    pending = cache_rotated.start()
    cache_rotated.step(pending, "createSecret")
    cache_rotated.step(pending, "setSecret")
    new = token_of(cache_rotated, PENDING, pending)
    cache_rotated.server.set_tokens([token])  # the new token is gone behind the Lambda's back
    with pytest.raises(rra.RotationError, match="refused the pending token: -WRONGPASS") as failure:
        cache_rotated.step(pending, "testSecret")
    assert new not in str(failure.value)
    assert_current_untouched(cache_rotated, version, token)
    assert cache_rotated.version_with(PENDING) == pending  # Secrets Manager retries from here


def test_test_secret_fails_when_the_cache_does_not_require_the_token(cache_rotated: CacheRotation) -> None:
    version, token = cache_rotated.version_with(CURRENT), token_of(cache_rotated)
    pending = cache_rotated.start()
    for step in ("createSecret", "setSecret"):
        cache_rotated.step(pending, step)
    cache_rotated.server.open_without_auth = True
    with pytest.raises(rra.RotationError, match="answered PING without AUTH with \\+PONG"):
        cache_rotated.step(pending, "testSecret")
    assert cache_rotated.version_with(CURRENT) == version and token_of(cache_rotated) == token


def test_an_abandoned_rotation_blocks_the_next_rotate_until_set(cache_rotated: CacheRotation) -> None:
    """A rotation cancelled after its setSecret left the newest token on the group unused; a ROTATE
    now would retire AWSCURRENT's token. setSecret refuses until the operator SETs that token."""
    cache_rotated.rotate()
    version, token = cache_rotated.version_with(CURRENT), token_of(cache_rotated)
    abandoned = cache_rotated.start()
    for step in ("createSecret", "setSecret"):
        cache_rotated.step(abandoned, step)
    stray = token_of(cache_rotated, PENDING, abandoned)
    assert cache_rotated.server.current_tokens() == [token, stray]
    retry = cache_rotated.start()  # the operator cancelled and rotates again
    cache_rotated.step(retry, "createSecret")
    with pytest.raises(rra.RotationError, match="ROTATE would retire the token in use") as refused:
        cache_rotated.step(retry, "setSecret")
    assert stray not in str(refused.value) and token not in str(refused.value)
    assert cache_rotated.server.current_tokens() == [token, stray]
    assert_current_untouched(cache_rotated, version, token)
    # the runbook's remedy: SET the AWSCURRENT token, then the retry goes through
    cache_rotated.ec.modify_replication_group(
        ReplicationGroupId=cache_rotated.group_id,
        AuthToken=token,
        AuthTokenUpdateStrategy="SET",
        ApplyImmediately=True,
    )
    cache_rotated.cache.finish()
    for step in ("setSecret", "testSecret", "finishSecret"):
        cache_rotated.step(retry, step)
    assert cache_rotated.server.current_tokens() == [token, token_of(cache_rotated)]
    assert cache_rotated.authenticates(token)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"engine": "postgres"}, "engine is 'postgres'"),
        ({"replication_group_id": None}, "replication_group_id None"),
        ({"replication_group_id": "bad--id"}, "not a replication group id"),
        ({"replication_group_id": "x" * 41}, "not a replication group id"),
    ],
)
def test_create_secret_refuses_a_malformed_secret(
    cache_rotation: CacheRotation, change: dict[str, str | None], error: str
) -> None:
    cache_rotation.sm.put_secret_value(
        SecretId=cache_rotation.arn, SecretString=json.dumps({**cache_rotation.initial, **change})
    )
    before = cache_rotation.stages()
    token = cache_rotation.start()
    with pytest.raises(rra.RotationError, match=error):
        cache_rotation.step(token, "createSecret")
    assert cache_rotation.values()[token] is None  # no pending value was stored
    assert {v: s for v, s in cache_rotation.stages().items() if v != token} == before


# --- TLS ---------------------------------------------------------------------------------------------


def test_the_certificate_is_verified_unless_told_otherwise(
    cache_rotation: CacheRotation, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = cache_rotation.start()
    cache_rotation.step(token, "createSecret")
    monkeypatch.delenv("SSL_CERT_FILE")  # the system store does not know the test CA
    with pytest.raises(rra.RotationError, match="CERTIFICATE_VERIFY_FAILED"):
        cache_rotation.step(token, "setSecret")
    assert cache_rotation.cache.calls == []  # nothing was applied without a checked connection
    monkeypatch.setenv(rra.TLS_VERIFY_ENV, "maybe")
    with pytest.raises(rra.RotationError, match="must be true or false"):
        cache_rotation.step(token, "setSecret")
    monkeypatch.setenv(rra.TLS_VERIFY_ENV, "false")
    for step in ("setSecret", "testSecret", "finishSecret"):
        cache_rotation.step(token, step)
    assert cache_rotation.authenticates(token_of(cache_rotation))


def test_exchange_replies() -> None:
    """The RESP the Lambda sends, and what it makes of replies."""
    assert rra._command("AUTH", "tok") == b"*2\r\n$4\r\nAUTH\r\n$3\r\ntok\r\n"
    assert rra.Exchange(NOAUTH, "+OK", "+PONG").authenticated
    no_password = "-ERR AUTH <password> called without any password configured for the default user."
    assert not rra.Exchange("+PONG", no_password, "+PONG").authenticated
    assert rra._redact("-ERR bad secret-token-value", "secret-token-value") == "-ERR bad <token>"


# --- finishSecret rolls the ECS services ------------------------------------------------------------


def test_finish_secret_rolls_the_listed_services(
    cache_rotated: CacheRotation, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = Services()
    monkeypatch.setenv(common.RESTART_ENV, json.dumps([services.arns["api"], services.arns["worker"]]))
    before = services.deployments()
    token = cache_rotated.start()
    for step in ("createSecret", "setSecret", "testSecret"):
        cache_rotated.step(token, step)
    assert services.deployments() == before  # nothing rolls before AWSCURRENT has moved
    cache_rotated.step(token, "finishSecret")
    after = services.deployments()
    assert after["api"] != before["api"] and after["worker"] != before["worker"]
    assert after["unrelated"] == before["unrelated"]
    assert cache_rotated.version_with(CURRENT) == token


# --- secrecy -----------------------------------------------------------------------------------------


def test_no_token_is_logged(
    cache_rotation: CacheRotation, elasticache: FakeElastiCache, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="deployment_infra")
    cache_rotation.rotate()
    cache_rotation.rotate()
    failing = cache_rotation.start()  # and a failure, whose messages quote the server
    cache_rotation.step(failing, "createSecret")
    cache_rotation.step(failing, "setSecret")
    elasticache.server.set_tokens([token_of(cache_rotation)])
    with pytest.raises(rra.RotationError) as failure:
        cache_rotation.step(failing, "testSecret")
    ours = [r for r in caplog.records if r.name.startswith("deployment_infra")]
    text = "\n".join(r.getMessage() for r in ours) + "\n" + str(failure.value)
    assert "createSecret" in text and "setSecret" in text and "finishSecret" in text  # it did log
    tokens = [token_of(cache_rotation), token_of(cache_rotation, PREVIOUS), token_of(cache_rotation, PENDING)]
    for token in tokens:
        assert token not in text
        assert not re.search(re.escape(token[:16]), text)
