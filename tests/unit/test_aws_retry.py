"""infra's boto3 clients: botocore standard mode with a backoff that grows, then one clear line.

The end-to-end tests run a real boto3 client of each target against a small in-process HTTP server:
the fault layer (emulator_faults.FaultInjector) in front of a stand-in for SSM, so the waits between
attempts are measured where the requests arrive.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from hypothesis import given, settings
from hypothesis import strategies as st

from deployment_infra.aws_errors import describe_aws_error
from deployment_infra.aws_retry import AWS_RETRIES, LOCAL_RETRIES, RetryPolicy
from deployment_infra.emulator import Emulator
from deployment_infra.emulator_faults import FaultInjector
from deployment_infra.targets import AwsTarget, LocalTarget
from tests.support import faults


def fake_ssm(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = json.dumps({"Parameter": {"Name": "/x", "Value": "v", "Type": "String", "Version": 1}})
    start_response("200 OK", [("Content-Type", "application/x-amz-json-1.1")])
    return [body.encode()]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd: WSGIServer = make_server("127.0.0.1", 0, FaultInjector(fake_ssm), handler_class=_Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_port}"
    yield url
    httpd.shutdown()


@pytest.fixture
def local_client(server: str, tmp_path: Path) -> Any:
    faults.clear(server)
    return LocalTarget(Emulator(tmp_path, int(server.rsplit(":", 1)[1]))).client("ssm", "af-south-1")


@settings(max_examples=100)
@given(
    policy=st.sampled_from([AWS_RETRIES, LOCAL_RETRIES]),
    throttled=st.booleans(),
    rands=st.lists(st.floats(min_value=0, max_value=1, exclude_max=True), min_size=9, max_size=9),
)
def test_each_wait_is_at_least_the_step_and_longer_than_the_last(
    policy: RetryPolicy, throttled: bool, rands: list[float]
) -> None:
    waits = [policy.delay(n, throttled=throttled, rand=r) for n, r in enumerate(rands, start=1)]
    base = policy.throttle_base_s if throttled else policy.transient_base_s
    for n, (before, after) in enumerate(itertools.pairwise(waits), start=1):
        assert before >= min(policy.max_backoff_s, base * 2 ** (n - 1))
        assert after > before or after == before == policy.max_backoff_s
    assert max(waits) <= policy.max_backoff_s


def test_attempts_and_total_wait_of_each_target() -> None:
    def total(policy: RetryPolicy, throttled: bool, rand: float) -> float:
        return sum(policy.delay(n, throttled=throttled, rand=rand) for n in range(1, policy.max_attempts))

    assert (AWS_RETRIES.max_attempts, LOCAL_RETRIES.max_attempts) == (6, 4)
    assert total(AWS_RETRIES, True, 0) >= 31 and total(AWS_RETRIES, True, 0.999) < 47  # under a minute
    assert total(AWS_RETRIES, False, 0.999) < 5  # a 5xx blip costs seconds
    assert total(LOCAL_RETRIES, True, 0) >= 1.4 and total(LOCAL_RETRIES, True, 0.999) < 2.2


def test_aws_target_clients_use_the_same_retry_code() -> None:
    client = AwsTarget().client("ssm", "af-south-1")
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 6}


def test_throttled_twice_then_answered_with_growing_waits(server: str, local_client: Any) -> None:
    faults.inject(server, "ssm", "ThrottlingException", count=2, operation="GetParameter")
    answer = local_client.get_parameter(Name="/x")
    assert answer["Parameter"]["Value"] == "v"
    assert answer["ResponseMetadata"]["RetryAttempts"] == 2
    entries = faults.log(server)
    assert [e["injected"] for e in entries] == [True, True, False]
    first, second = faults.gaps(entries)
    assert 0.2 <= first < second and second >= 0.4  # botocore alone may wait ~0 s (full jitter)


@pytest.mark.parametrize(
    ("status", "code", "verb"),
    [
        (400, "ThrottlingException", "throttled"),
        (503, "ServiceUnavailable", "failed"),
        (500, "InternalError", "failed"),
    ],
)
def test_outlasting_the_retries_is_one_clear_line(
    server: str, local_client: Any, status: int, code: str, verb: str
) -> None:
    faults.inject(server, "ssm", code, status=status, count=10, message="Rate exceeded")
    with pytest.raises(ClientError) as failure:
        local_client.get_parameter(Name="/x")
    assert describe_aws_error(failure.value) == (
        f"AWS ssm GetParameter {verb} after 4 attempts: {code}: Rate exceeded"
    )
    entries = faults.log(server)
    assert len(entries) == 4 and all(e["injected"] for e in entries)
    waits = faults.gaps(entries)
    assert waits == sorted(waits) and waits[0] >= 0.2 and waits[-1] >= 0.8


def test_an_error_that_is_not_retried_names_no_attempts(server: str, local_client: Any) -> None:
    faults.inject(server, "ssm", "AccessDeniedException", message="not\nallowed")
    with pytest.raises(ClientError) as failure:
        local_client.get_parameter(Name="/x")
    assert (
        describe_aws_error(failure.value) == "AWS ssm GetParameter failed: AccessDeniedException: not allowed"
    )
    assert len(faults.log(server)) == 1


def test_other_errors_are_not_aws_errors() -> None:
    assert describe_aws_error(ValueError("x")) is None
    line = describe_aws_error(EndpointConnectionError(endpoint_url="http://127.0.0.1:1/"))
    assert line == 'AWS request failed: Could not connect to the endpoint URL: "http://127.0.0.1:1/"'
