"""Property 5, Rollback Capability: a stateful test on the emulator.

Random deploys (some of releases that fail their smoke test: a LOG_LEVEL the service rejects, so it
never listens), manual rollbacks (to the previous good release or to a random earlier one) and
redeploys of what already runs. After every step: the ECS service points at the last good release's
task definition, the instance answering there reports that release's version, and the history in SSM
is consistent (ids in order, every failed release names the revision it went back to, the current
pointer is the newest good release).

The deploy engine, the ECS and SSM calls and the emulator are real; the service itself is the thread
stand-in of tests/support/ecs_service.py so that 100 examples stay fast (the real reference service is
exercised by tests/integration/test_deploy.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from deployment_infra.deploy.engine import Clients, Deployer
from deployment_infra.deploy.images import Image
from deployment_infra.deploy.releases import ReleaseHistory, last_good
from deployment_infra.deploy.service import ServiceRef
from deployment_infra.deploy.smoke import SmokeConfig
from deployment_infra.targets import LocalTarget
from tests.conftest import own_emulator
from tests.support.ecs_service import ThreadRuntime, create_service, running_task_definition

SMOKE = SmokeConfig(samples=1, timeout_s=2.0, attempts=1, retry_delay_s=0.0, latency_budget_ms=2000.0)
_counter = itertools.count()


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTarget]:
    with own_emulator(Path(tmp_path_factory.mktemp("rollback-property")) / ".infra") as emulator:
        yield LocalTarget(emulator)


class RollbackMachine(RuleBasedStateMachine):
    target: LocalTarget

    def __init__(self) -> None:
        super().__init__()
        # Each example gets its own environment name: a fresh service and history on the same emulator.
        self.ref = ServiceRef("prop", f"e{next(_counter)}", "api", "af-south-1")
        ecs = self.target.client("ecs", self.ref.region)
        self.ssm = self.target.client("ssm", self.ref.region)
        self.bootstrap = create_service(ecs, self.ref)
        self.runtime = ThreadRuntime()
        self.config: dict[str, str] = {}
        self.deployer = Deployer(
            ref=self.ref,
            clients=Clients(ecs=ecs, ssm=self.ssm),
            runtime=self.runtime,
            smoke_config=SMOKE,
            actor="property",
            timeout_s=10.0,
            poll_s=0.05,
            environment_config=lambda: dict(self.config),
        )
        self.ecs = ecs
        # The model: what the service must run, and the versions that ever went live.
        self.expected_version: str | None = None
        self.expected_task_definition = self.bootstrap
        self.good_versions: list[str] = []

    @initialize()
    def nothing_yet(self) -> None:
        assert ReleaseHistory(self.ssm, self.ref).list() == []

    @rule(version=st.sampled_from(["v1", "v2", "v3", "v4"]), breaks=st.booleans())
    def deploy(self, version: str, breaks: bool) -> None:
        self.config = {"LOG_LEVEL": "loud" if breaks else "info"}
        outcome = self.deployer.deploy(Image("ngapp/api", version))
        if not outcome.changed:
            assert not breaks and self.expected_version == version
            return
        assert outcome.succeeded is not breaks, outcome.detail
        if outcome.succeeded:
            assert outcome.release is not None
            self.expected_version = version
            self.expected_task_definition = outcome.release.task_definition
            self.good_versions.append(version)

    @rule(pick=st.integers(min_value=0, max_value=20), previous=st.booleans())
    def rollback(self, pick: int, previous: bool) -> None:
        releases = ReleaseHistory(self.ssm, self.ref).list()
        good = [r for r in releases if r.good and r.task_definition != self.expected_task_definition]
        if not good:
            return
        target = None if previous else good[pick % len(good)]
        outcome = self.deployer.rollback(target.id if target else None)
        assert outcome.succeeded, outcome.detail
        chosen = target or good[-1]
        self.expected_version = chosen.version
        self.expected_task_definition = chosen.task_definition

    @invariant()
    def service_runs_the_last_good_release(self) -> None:
        assert running_task_definition(self.ecs, self.ref) == self.expected_task_definition
        releases = ReleaseHistory(self.ssm, self.ref).list()
        good = last_good(releases)
        if good is None:
            assert self.expected_version is None
            return
        assert good.task_definition == self.expected_task_definition
        assert good.version == self.expected_version
        assert self.runtime.version(self.ref) == self.expected_version

    @invariant()
    def history_is_consistent(self) -> None:
        history = ReleaseHistory(self.ssm, self.ref)
        releases = history.list()
        assert [r.id for r in releases] == [f"r{i:06d}" for i in range(1, len(releases) + 1)]
        for release in releases:
            if not release.good:
                assert release.rolled_back_to, release
        good = last_good(releases)
        assert history.current_id() == (good.id if good else None)

    def teardown(self) -> None:
        self.runtime.close()


def test_rollback_capability(target: LocalTarget) -> None:
    machine: Any = type("Machine", (RollbackMachine,), {"target": target})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=100,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
