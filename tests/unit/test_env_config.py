"""Environment configuration in SSM (envs/config.py) against in-process moto: validation, idempotent
writes, a bad batch that changes nothing, pagination, and the rendering into a task definition."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from deployment_infra.deploy.service import ServiceRef
from deployment_infra.envs import config as cfg
from deployment_infra.errors import UsageError

REGION = "af-south-1"
DEV = ServiceRef("ngapp", "dev", "api", REGION)
STAGING = ServiceRef("ngapp", "staging", "api", REGION)


@pytest.fixture
def ssm() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("ssm", region_name=REGION)


def version(ssm: Any, name: str) -> int:
    return int(ssm.get_parameter(Name=f"/ngapp/dev/config/{name}")["Parameter"]["Version"])


def test_set_then_read_and_the_parameter_layout(ssm: Any) -> None:
    changes = cfg.set_values(ssm, DEV, {"LOG_LEVEL": "debug", "REGION_LABEL": "Lagos — Ìbàdàn"})
    assert [(c.name, c.action, c.old, c.new) for c in changes] == [
        ("LOG_LEVEL", "added", None, "debug"),
        ("REGION_LABEL", "added", None, "Lagos — Ìbàdàn"),
    ]
    assert cfg.read_config(ssm, DEV) == {"LOG_LEVEL": "debug", "REGION_LABEL": "Lagos — Ìbàdàn"}
    param = ssm.get_parameter(Name="/ngapp/dev/config/LOG_LEVEL")["Parameter"]
    assert param["Type"] == "String"
    arn = param["ARN"]
    tags = {
        t["Key"]: t["Value"]
        for t in ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=arn.split(":parameter")[1])[
            "TagList"
        ]
    }
    assert tags == {"Project": "ngapp", "Environment": "dev", "ManagedBy": "infra-config"}
    assert cfg.read_config(ssm, STAGING) == {}  # environments are separate


def test_unchanged_values_are_not_rewritten(ssm: Any) -> None:
    cfg.set_values(ssm, DEV, {"LOG_LEVEL": "debug", "TIMEOUT_S": "5"})
    changes = cfg.set_values(ssm, DEV, {"LOG_LEVEL": "debug", "TIMEOUT_S": "7"})
    assert {c.name: c.action for c in changes} == {"LOG_LEVEL": "unchanged", "TIMEOUT_S": "changed"}
    assert (changes[1].old, changes[1].new) == ("5", "7")
    assert version(ssm, "LOG_LEVEL") == 1
    assert version(ssm, "TIMEOUT_S") == 2
    again = cfg.set_values(ssm, DEV, {"LOG_LEVEL": "debug", "TIMEOUT_S": "7"})
    assert {c.action for c in again} == {"unchanged"}
    assert version(ssm, "TIMEOUT_S") == 2


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("log_level", "x", "invalid name"),
        ("9LIVES", "x", "invalid name"),
        ("A" * 65, "x", "invalid name"),
        ("APP_VERSION", "1.0", "deploy engine"),
        ("PORT", "8080", "deploy engine"),
        (cfg.MANAGED_MARKER, "A", "deploy engine"),
        ("DB_PASSWORD", "x", "Secrets Manager"),
        ("STRIPE_API_KEY", "x", "Secrets Manager"),
        ("APIKEY", "x", "Secrets Manager"),
        ("GITHUB_TOKEN", "x", "Secrets Manager"),
        ("CLIENT_SECRET", "x", "Secrets Manager"),
        ("UPLOAD_URL", "AKIAIOSFODNN7EXAMPLE", "AWS access key"),
        ("DSN", "host=db password=hunter2", "password"),
        ("CERT", "-----BEGIN RSA PRIVATE KEY-----", "private key"),
        ("DATABASE_URL", "postgres://app:hunter2@db:5432/app", "URL with a password"),
        ("EMPTY", "", "empty value"),
        ("NUL", "a\0b", "printable"),
        ("MULTILINE", "a\nb", "printable"),
        ("BAD_UTF8", "caf\udce9", "printable"),
        ("BIG", "x" * 4097, "more than SSM"),
        ("BIG_UTF8", "é" * 2049, "more than SSM"),  # 2049 characters, 4098 bytes
    ],
)
def test_a_bad_batch_changes_nothing(ssm: Any, name: str, value: str, fragment: str) -> None:
    cfg.set_values(ssm, DEV, {"LOG_LEVEL": "info"})
    with pytest.raises(UsageError, match=fragment):
        cfg.set_values(ssm, DEV, {"AAA_FIRST": "ok", "LOG_LEVEL": "debug", name: value})
    assert cfg.read_config(ssm, DEV) == {"LOG_LEVEL": "info"}
    assert version(ssm, "LOG_LEVEL") == 1


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MONKEY_COUNT", "3"),  # KEY only as a word
        ("KEYCLOAK_URL", "https://auth.example/"),
        ("MAX_BODY", "x" * 4096),
        ("GREETING", "Ẹ kú àárọ̀"),
        ("API_URL", "https://api.example/v1?page=2"),
    ],
)
def test_ordinary_values_are_accepted(ssm: Any, name: str, value: str) -> None:
    cfg.set_values(ssm, DEV, {name: value})
    assert cfg.read_config(ssm, DEV) == {name: value}


def test_read_pages_through_and_ignores_what_is_not_a_variable(ssm: Any) -> None:
    names = {f"VAR_{i:02d}": str(i) for i in range(23)}  # more than a page (10)
    cfg.set_values(ssm, DEV, names)
    ssm.put_parameter(Name="/ngapp/dev/config/nested/DEEP", Value="x", Type="String")
    ssm.put_parameter(Name="/ngapp/dev/config/HIDDEN", Value="x", Type="SecureString")
    ssm.put_parameter(Name="/ngapp/dev/releases/1", Value="{}", Type="String")
    assert cfg.read_config(ssm, DEV) == names


def test_unset_removes_and_reports_absent_names_as_unchanged(ssm: Any) -> None:
    cfg.set_values(ssm, DEV, {f"VAR_{i:02d}": "v" for i in range(12)})
    names = [f"VAR_{i:02d}" for i in range(12)] + ["NEVER_SET"]
    changes = cfg.unset(ssm, DEV, names)
    assert {c.name: c.action for c in changes} == {
        **dict.fromkeys(names[:-1], "removed"),
        "NEVER_SET": "unchanged",
    }
    assert cfg.read_config(ssm, DEV) == {}
    with pytest.raises(UsageError, match="invalid name"):
        cfg.unset(ssm, DEV, ["lower"])


def test_unset_takes_a_hand_made_secret_looking_name(ssm: Any) -> None:
    ssm.put_parameter(Name="/ngapp/dev/config/OLD_TOKEN", Value="x", Type="String")
    assert [c.action for c in cfg.unset(ssm, DEV, ["OLD_TOKEN"])] == ["removed"]


def test_diff_envs_names_each_difference() -> None:
    rows = cfg.diff_envs({"A": "1", "B": "2", "C": "3"}, {"B": "2", "C": "4", "D": "5"})
    assert [(r.name, r.change, r.left, r.right) for r in rows] == [
        ("A", "removed", "1", None),
        ("C", "changed", "3", "4"),
        ("D", "added", None, "5"),
    ]


def test_render_overlays_config_on_the_live_environment() -> None:
    base = [
        {"name": "PORT", "value": "8080"},
        {"name": "DB_HOST", "value": "db.internal"},
        {"name": "LOG_LEVEL", "value": "info"},
        {"name": "APP_VERSION", "value": "v1"},
    ]
    rendered = cfg.render_environment({"LOG_LEVEL": "debug", "CACHE_TTL": "60"}, base)
    assert rendered == [
        {"name": "APP_VERSION", "value": "v1"},
        {"name": "CACHE_TTL", "value": "60"},
        {"name": "DB_HOST", "value": "db.internal"},
        {"name": cfg.MANAGED_MARKER, "value": "CACHE_TTL,LOG_LEVEL"},
        {"name": "LOG_LEVEL", "value": "debug"},
        {"name": "PORT", "value": "8080"},
    ]
    # unset in SSM: gone at the next render; Terraform's DB_HOST stays
    again = cfg.render_environment({"CACHE_TTL": "60"}, rendered)
    assert cfg.environment_dict(again) == {
        "APP_VERSION": "v1",
        "CACHE_TTL": "60",
        "DB_HOST": "db.internal",
        cfg.MANAGED_MARKER: "CACHE_TTL",
        "PORT": "8080",
    }
    # the engine's own names are never taken from config
    assert (
        cfg.environment_dict(cfg.render_environment({"PORT": "1", "APP_VERSION": "x"}, base))["PORT"]
        == "8080"
    )


def test_pending_is_what_the_next_deploy_changes() -> None:
    live = {"DB_HOST": "db", "LOG_LEVEL": "info", "OLD": "1", "APP_VERSION": "v1", "PORT": "8080"}
    live[cfg.MANAGED_MARKER] = "LOG_LEVEL,OLD"
    rows = cfg.pending({"LOG_LEVEL": "debug", "NEW": "x", "PORT": "9"}, live)
    assert [(r.name, r.change, r.left, r.right) for r in rows] == [
        ("LOG_LEVEL", "changed", "info", "debug"),
        ("NEW", "added", None, "x"),
        ("OLD", "removed", "1", None),
    ]
    # without the marker (a revision Terraform registered) nothing live counts as removed
    assert cfg.pending({}, {"DB_HOST": "db", "OLD": "1"}) == []


NAMES = st.from_regex(r"[A-Z][A-Z0-9_]{0,6}", fullmatch=True).filter(lambda n: n not in cfg.IGNORED_IN_DIFF)
VALUES = st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), min_size=1, max_size=8)
CONFIGS = st.dictionaries(NAMES, VALUES, max_size=6)


@settings(max_examples=100, deadline=None)
@given(config=CONFIGS, base=CONFIGS)
def test_rendered_revision_has_nothing_pending(config: dict[str, str], base: dict[str, str]) -> None:
    rendered = cfg.render_environment(config, [{"name": k, "value": v} for k, v in base.items()])
    names = [e["name"] for e in rendered]
    assert names == sorted(set(names))
    assert cfg.pending(config, cfg.environment_dict(rendered)) == []


@settings(max_examples=100, deadline=None)
@given(first=CONFIGS, second=CONFIGS, base=CONFIGS)
def test_earlier_configurations_leave_no_trace(
    first: dict[str, str], second: dict[str, str], base: dict[str, str]
) -> None:
    base = {k: v for k, v in base.items() if k not in first and k not in second}
    entries = [{"name": k, "value": v} for k, v in base.items()]
    assert cfg.render_environment(second, cfg.render_environment(first, entries)) == cfg.render_environment(
        second, entries
    )


@settings(max_examples=100, deadline=None)
@given(a=CONFIGS, b=CONFIGS)
def test_applying_a_diff_turns_one_side_into_the_other(a: dict[str, str], b: dict[str, str]) -> None:
    result = dict(a)
    for row in cfg.diff_envs(a, b):
        if row.right is None:
            del result[row.name]
        else:
            result[row.name] = row.right
    assert result == b


def fail_calls(ssm: Any, operation: str, *, after: int, times: int = 1) -> None:
    """The client's `operation` fails (AccessDenied, not retried) after `after` successful calls."""
    from botocore.exceptions import ClientError

    seen = {"n": 0}

    def hook(**_: Any) -> None:
        seen["n"] += 1
        if after < seen["n"] <= after + times:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, operation)

    ssm.meta.events.register(f"before-call.ssm.{operation}", hook)


def test_a_write_failing_mid_way_is_undone_so_nothing_changed(ssm: Any) -> None:
    cfg.set_values(ssm, DEV, {"KEEP": "1", "OLD": "gone?", "TIMEOUT_S": "5"})
    before = cfg.read_config(ssm, DEV)
    fail_calls(ssm, "PutParameter", after=2)  # the third put of the batch fails
    with pytest.raises(
        cfg.ConfigWriteError, match=r"nothing changed: the 3 write\(s\) made before it were undone"
    ):
        # sorted: A_NEW (add), B_NEW (add), OLD (remove), TIMEOUT_S (change: the failing put)
        cfg.apply_changes(ssm, DEV, {"A_NEW": "a", "B_NEW": "b", "TIMEOUT_S": "9"}, ["OLD"])
    assert cfg.read_config(ssm, DEV) == before
    # the restored parameter carries the tags of a parameter `set` created
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/ngapp/dev/config/OLD")
    assert {t["Key"] for t in tags["TagList"]} == {"Project", "Environment", "ManagedBy"}


def test_an_undo_that_fails_names_what_stayed_written(ssm: Any) -> None:
    fail_calls(ssm, "PutParameter", after=1)  # the second add fails
    fail_calls(ssm, "DeleteParameter", after=0)  # and so does undoing the first
    with pytest.raises(
        cfg.ConfigWriteError, match=r"undoing the writes made before it failed too .*: A_NEW stayed"
    ):
        cfg.set_values(ssm, DEV, {"A_NEW": "a", "B_NEW": "b"})
    assert cfg.read_config(ssm, DEV) == {"A_NEW": "a"}


def test_a_first_write_that_fails_changed_nothing(ssm: Any) -> None:
    fail_calls(ssm, "PutParameter", after=0)
    with pytest.raises(cfg.ConfigWriteError, match=r"no; nothing changed$"):
        cfg.set_values(ssm, DEV, {"A_NEW": "a"})
    assert cfg.read_config(ssm, DEV) == {}
