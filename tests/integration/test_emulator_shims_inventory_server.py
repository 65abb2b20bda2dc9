"""Inventory shims seen through a real emulator server (the launcher applies them).

The gap itself is shown on bare moto in tests/unit/test_emulator_shims_inventory.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from deployment_infra.targets import LocalTarget
from tests.conftest import own_emulator

ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTarget]:
    with own_emulator(Path(tmp_path_factory.mktemp("inventory-shims")) / ".infra") as emu:
        yield LocalTarget(emu)


@pytest.mark.parametrize("region", ["af-south-1", "eu-west-1"])
def test_describe_snapshots_owned_by_self_lists_only_ours(target: LocalTarget, region: str) -> None:
    ec2 = target.client("ec2", region)
    assert ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"] == []  # a fresh account has none
    volume = ec2.create_volume(AvailabilityZone=f"{region}a", Size=1)["VolumeId"]
    mine = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    owned = ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
    assert [(s["SnapshotId"], s["OwnerId"]) for s in owned] == [(mine, ACCOUNT)]
    everything = ec2.describe_snapshots()["Snapshots"]
    assert len(everything) > 1 and mine in {s["SnapshotId"] for s in everything}
