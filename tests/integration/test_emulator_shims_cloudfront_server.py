"""CloudFront shims and `deploy.cdn.invalidate` through a real emulator server (the launcher applies them).

The gaps themselves are shown on bare moto in tests/unit/test_emulator_shims_cloudfront.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deployment_infra.deploy import cdn
from deployment_infra.emulator import Emulator, free_port
from deployment_infra.targets import LocalTarget
from tests.conftest import copy_project, own_emulator, run_infra
from tests.unit.test_emulator_shims_cloudfront import CACHE_POLICY, distribution_config


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with own_emulator(Path(tmp_path_factory.mktemp("cdn-shims")) / ".infra") as emu:
        yield emu


def _cf(emulator: Emulator) -> Any:
    return LocalTarget(emulator).client("cloudfront", "us-east-1")


def test_policies_and_distribution_fields(emulator: Emulator) -> None:
    cf = _cf(emulator)
    policy = cf.create_cache_policy(CachePolicyConfig=CACHE_POLICY)
    assert cf.get_cache_policy(Id=policy["CachePolicy"]["Id"])["ETag"] == policy["ETag"]
    config = distribution_config("server-1")
    config["DefaultCacheBehavior"]["CachePolicyId"] = policy["CachePolicy"]["Id"]
    dist_id = cf.create_distribution(DistributionConfig=config)["Distribution"]["Id"]
    got = cf.get_distribution(Id=dist_id)["Distribution"]["DistributionConfig"]
    assert got["Origins"]["Items"][0]["OriginAccessControlId"] == "E1OAC"
    assert "ForwardedValues" not in got["DefaultCacheBehavior"]
    assert got["ViewerCertificate"]["CloudFrontDefaultCertificate"] is False


def test_invalidate_and_wait(emulator: Emulator) -> None:
    cf = _cf(emulator)
    dist_id = cf.create_distribution(DistributionConfig=distribution_config("server-2"))["Distribution"]["Id"]
    created = cdn.invalidate(cf, dist_id, ["/", "/index.html", "/"], "ref-1")
    assert created.paths == ("/", "/index.html") and created.caller_reference == "ref-1"
    done = cdn.wait(cf, created, interval_s=0.1, timeout_s=30)
    assert done.completed and done.invalidation_id == created.invalidation_id
    listed = cf.list_invalidations(DistributionId=dist_id)["InvalidationList"]["Items"]
    assert [i["Id"] for i in listed] == [created.invalidation_id]


def test_invalidate_unknown_distribution_is_one_line_error(emulator: Emulator) -> None:
    with pytest.raises(cdn.InfraError, match="NoSuchDistribution"):
        cdn.invalidate(_cf(emulator), "EUNKNOWN", ["/"], "ref-2")


def test_cli_refuses_an_environment_never_brought_up(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    own = Emulator(project / ".infra", free_port())  # the CLI uses only an emulator of its project
    own.ensure_running()
    try:
        result = run_infra(
            project, "cdn", "invalidate", "--env", "dev", env={"INFRA_EMULATOR_PORT": str(own.port)}
        )
    finally:
        own.stop()
    assert result.returncode == 1, result.stderr
    assert "infra up --env dev" in result.stderr and len(result.stderr.strip().splitlines()) == 1
