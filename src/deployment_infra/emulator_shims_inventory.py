"""Inventory shims for moto (what `infra ops residency-scan` lists in every region).

Registered with `deployment_infra.emulator_shims.shim`; `apply_all()` imports this module. Each shim is
a row in docs/emulator.md and has tests in tests/unit/test_emulator_shims_inventory.py (bare moto)
and tests/integration/test_emulator_shims_inventory_server.py (through the launcher).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from deployment_infra.emulator_shims import shim

# -- ec2-describe-snapshots-owners -------------------------------------------------------------
# AWS: DescribeSnapshots with OwnerIds returns only the snapshots of those owners: "self" (the
# caller's account), "amazon", or account ids. moto 5 ignored OwnerIds, so OwnerIds=["self"]
# answered with the ~1,300 snapshots behind moto's built-in AMIs (owned by Amazon's account) in
# every region: an inventory of "our" snapshots found thousands that are not ours.


def owners_wanted(owner_ids: Iterable[str], account_id: str, amazon_owners: Collection[str]) -> set[str]:
    """The account ids that DescribeSnapshots' OwnerIds values stand for."""
    wanted: set[str] = set()
    for owner in owner_ids:
        if owner == "self":
            wanted.add(account_id)
        elif owner == "amazon":
            wanted.update(amazon_owners)
        else:
            wanted.add(owner)
    return wanted


@shim("ec2-describe-snapshots-owners")
def _ec2_describe_snapshots_owners() -> None:
    from moto.core.responses import ActionResult
    from moto.ec2.responses.elastic_block_store import ElasticBlockStore

    original = ElasticBlockStore.describe_snapshots

    def describe_snapshots(self: Any) -> Any:
        owner_ids = self._get_param("OwnerIds", [])
        if not owner_ids:
            return original(self)
        backend = self.ec2_backend
        amazon = {ami.owner_id for ami in backend.amis.values() if ami.owner_alias == "amazon"}
        wanted = owners_wanted(owner_ids, backend.account_id, amazon)
        snapshots = backend.describe_snapshots(
            snapshot_ids=self._get_param("SnapshotIds", []), filters=self._filters_from_querystring()
        )
        return ActionResult({"Snapshots": [s for s in snapshots if s.owner_id in wanted]})

    ElasticBlockStore.describe_snapshots = describe_snapshots  # type: ignore[method-assign]
