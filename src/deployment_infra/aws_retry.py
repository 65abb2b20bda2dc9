"""How infra's boto3 clients retry: botocore's standard mode, with a backoff that always grows.

botocore's standard mode decides *whether* to retry (throttling codes, 429, 5xx, connection
errors, within `max_attempts`) and keeps its retry quota; only the wait is ours. botocore waits a
random 0-100 % of the exponential step ("full jitter"), so one caller can retry a throttled API
almost at once; here attempt n waits base * 2**(n-1) plus up to 50 % jitter, so each wait is at least
the exponential step and longer than the one before (tests/drills/test_aws_fault_drills.py measures
it). Throttling starts from a longer base than 5xx and connection errors: the service asked callers
to slow down, while a 5xx is usually one bad host.

The numbers (see targets.py, docs/drills.md):
- aws: 6 attempts. A throttle waits ~1, 2, 4, 8, 16 s (31-46 s in all): longer than a burst of API
  rate limiting (SSM, ECS and CloudFront limits refill within seconds), short enough that an outage
  fails the command within a minute. 5xx/connection errors wait ~0.1-1.6 s (3-5 s in all).
- local: 4 attempts, waits ~0.2, 0.4, 0.8 s whatever the error (1.4-2.1 s in all): the emulator
  answers in milliseconds and fails only when a drill injects a fault or moto lacks an operation (a
  500), which then costs two seconds, not minutes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.config import Config
from botocore.retries import quota, standard

from deployment_infra.aws_errors import SERVICE_KEY, is_throttling


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    throttle_base_s: float
    transient_base_s: float
    max_backoff_s: float = 20.0  # botocore's cap
    jitter: float = 0.5  # up to +50 % of the step

    def delay(self, attempt: int, *, throttled: bool, rand: float) -> float:
        """Seconds to wait after failed attempt `attempt` (1-based); `rand` in [0, 1)."""
        base = self.throttle_base_s if throttled else self.transient_base_s
        step: float = base * 2 ** (attempt - 1)
        return min(self.max_backoff_s, step * (1 + self.jitter * rand))

    def config(self) -> Config:
        return Config(retries={"mode": "standard", "total_max_attempts": self.max_attempts})


AWS_RETRIES = RetryPolicy(max_attempts=6, throttle_base_s=1.0, transient_base_s=0.1)
LOCAL_RETRIES = RetryPolicy(max_attempts=4, throttle_base_s=0.2, transient_base_s=0.2)


class GrowingBackoff:
    """botocore's RetryBackoff interface (`delay_amount(context)`) over a RetryPolicy."""

    def __init__(self, policy: RetryPolicy, rand: Callable[[], float] = random.random) -> None:
        self.policy = policy
        self.rand = rand

    def delay_amount(self, context: Any) -> float:
        status = context.http_response.status_code if context.http_response is not None else None
        throttled = is_throttling(context.get_error_code(), status)
        return self.policy.delay(context.attempt_number, throttled=throttled, rand=self.rand())


def install(client: Any, policy: RetryPolicy) -> Any:
    """Replace the client's standard-mode retry handler by one with GrowingBackoff; returns `client`.

    The client must have been made with `policy.config()`. Also names the service in the
    ResponseMetadata of error responses, for aws_errors.describe_aws_error.
    """
    service = client.meta.service_model.service_id.hyphenize()
    events = client.meta.events
    retry_quota = standard.RetryQuotaChecker(quota.RetryQuota())
    handler = standard.RetryHandler(
        retry_policy=standard.RetryPolicy(
            retry_checker=standard.StandardRetryConditions(max_attempts=policy.max_attempts),
            retry_backoff=GrowingBackoff(policy),
        ),
        retry_event_adapter=standard.RetryEventAdapter(),
        retry_quota=retry_quota,
    )
    # botocore registers its handler under this id (botocore/retries/standard.py)
    events.unregister(f"needs-retry.{service}", unique_id=f"retry-config-{service}")
    events.register(f"needs-retry.{service}", handler.needs_retry, unique_id=f"infra-retry-{service}")
    events.register(f"after-call.{service}", retry_quota.release_retry_quota)
    events.register(f"after-call.{service}", _name_service)
    return client


def _name_service(http_response: Any, parsed: Any, model: Any, **_: Any) -> None:
    if http_response is not None and http_response.status_code >= 300 and isinstance(parsed, dict):
        parsed.setdefault("ResponseMetadata", {})[SERVICE_KEY] = model.service_model.service_name
