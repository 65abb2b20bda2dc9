"""Inventory shims (what the residency scan lists) against in-process moto.

The gap is shown on bare moto, then closed with the shim applied. The shim is applied only inside
`shims_applied`, which restores moto's classes afterwards, so bare-moto tests elsewhere in the
session are unaffected.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from deployment_infra.emulator_shims import DATA_SHIM_MODULES, SHIMS
from deployment_infra.emulator_shims_inventory import owners_wanted
from tests.unit.moto_patches import restoring

REGION = "eu-west-1"
ACCOUNT = "123456789012"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"
MODULE = "deployment_infra.emulator_shims_inventory"


@contextmanager
def shims_applied(*names: str) -> Iterator[None]:
    """Apply the named shims to moto for the duration of the block, then undo them."""
    from moto.ec2.responses.elastic_block_store import ElasticBlockStore

    __import__(MODULE)
    with restoring([ElasticBlockStore]):
        for name in names:
            SHIMS[name]()
        yield


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def _own_snapshot(ec2: Any) -> str:
    volume = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1)["VolumeId"]
    return str(ec2.create_snapshot(VolumeId=volume)["SnapshotId"])


def _ids(ec2: Any, **params: Any) -> set[str]:
    return {s["SnapshotId"] for s in ec2.describe_snapshots(**params)["Snapshots"]}


def test_inventory_shims_are_imported_by_apply_all_and_documented() -> None:
    assert MODULE in DATA_SHIM_MODULES  # apply_all imports it, so the launcher applies it
    __import__(MODULE)
    names = [name for name, func in SHIMS.items() if func.__module__ == MODULE]
    assert names == ["ec2-describe-snapshots-owners"]
    documented = DOCS.read_text()
    assert [name for name in names if f"| `{name}` |" not in documented] == []


@mock_aws
def test_bare_moto_ignores_owner_ids() -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    mine = _own_snapshot(ec2)
    answered = ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
    assert mine in {s["SnapshotId"] for s in answered}
    assert len(answered) > 100  # the snapshots behind moto's built-in AMIs
    assert {s["OwnerId"] for s in answered} - {ACCOUNT}  # ... which are not ours


@mock_aws
def test_owner_ids_select_snapshots_by_owner() -> None:
    with shims_applied("ec2-describe-snapshots-owners"):
        ec2 = boto3.client("ec2", region_name=REGION)
        mine = _own_snapshot(ec2)
        assert _ids(ec2, OwnerIds=["self"]) == {mine}
        assert _ids(ec2, OwnerIds=[ACCOUNT]) == {mine}
        amazon = _ids(ec2, OwnerIds=["amazon"])
        assert amazon and mine not in amazon
        assert _ids(ec2, OwnerIds=["self", "amazon"]) == amazon | {mine}
        assert _ids(ec2, OwnerIds=["999999999999"]) == set()
        assert _ids(ec2) == amazon | {mine}  # no OwnerIds: every snapshot the caller may see
        # other parameters still apply next to OwnerIds
        assert _ids(ec2, OwnerIds=["self"], SnapshotIds=[mine]) == {mine}
        filtered = [{"Name": "snapshot-id", "Values": ["snap-00000000000000000"]}]
        assert _ids(ec2, OwnerIds=["self"], Filters=filtered) == set()


@settings(max_examples=100)
@given(st.lists(st.sampled_from(["self", "amazon", "111111111111", "222222222222"]), max_size=4))
def test_owners_wanted(owner_ids: list[str]) -> None:
    wanted = owners_wanted(owner_ids, ACCOUNT, {"801119661308"})
    expected = {o for o in owner_ids if o.isdigit()}
    if "self" in owner_ids:
        expected.add(ACCOUNT)
    if "amazon" in owner_ids:
        expected.add("801119661308")
    assert wanted == expected
