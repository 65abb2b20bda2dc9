"""One request at a time into moto: the `moto-not-thread-safe` gap of the emulator layer.

moto's backends are plain dicts and lists that the threaded server's request threads read and write
without locks (getmoto/moto#372). Terraform sends up to ten requests at once, so under load a
request could iterate a dict another thread was growing (e.g. DescribeSecurityGroupRules walking
every group while CreateSecurityGroup adds one) and fail with a 500 after, or while, changing state.
The provider then retried into InvalidPermission.Duplicate and the environment could not converge.
With the GIL moto's handlers run one at a time anyway, so holding a lock around each costs little.

SQS is exempt: ReceiveMessage long-polls inside its handler, and holding the lock through that
wait would stall every other request.

Each request is also written to the emulator's log (.infra/emulator-<port>.log) as one line:
service, operation, the SDK's attempt header, status, time waited for the lock and time in moto.
werkzeug's own line says only "POST / 200", which could not tell which call a 409 answered.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from deployment_infra.emulator_faults import CREDENTIAL_SCOPE, identify

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]

UNSERIALIZED_SERVICES = frozenset({"sqs"})


def service_of(environ: Environ) -> str | None:
    """The signing service of a request (its SigV4 credential scope), without reading the body."""
    match = CREDENTIAL_SCOPE.search(str(environ.get("HTTP_AUTHORIZATION", "")))
    return match[2].lower() if match else None


class SerializedApp:
    """WSGI middleware: the wrapped app handles one request at a time, response body included."""

    def __init__(
        self, app: WsgiApp, exempt: frozenset[str] = UNSERIALIZED_SERVICES, log: TextIO | None = None
    ) -> None:
        self.app = app
        self.exempt = exempt
        self.log = log
        self._lock = threading.Lock()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if service_of(environ) in self.exempt:
            return self.app(environ, start_response)
        status: list[str] = []

        def recording_start_response(code: str, *args: Any) -> Any:
            status.append(code.split(" ", 1)[0])
            return start_response(code, *args)

        # identified before moto reads the body (a query-protocol action is in the form body)
        traced = self.log is not None and not str(environ.get("PATH_INFO", "")).startswith("/moto-api")
        request = identify(environ) if traced else None
        arrived = time.monotonic()
        with self._lock:
            entered = time.monotonic()
            # the body is produced inside the lock too: moto renders it from live backend state
            body = list(self.app(environ, recording_start_response))
            done = time.monotonic()
        if request is not None:
            attempt = f" [{request.attempt}]" if request.attempt else ""
            what = request.operation or environ.get("PATH_INFO")
            print(
                f"request: {request.service or '-'} {what}{attempt} -> {status[0] if status else '?'} "
                f"(waited {(entered - arrived) * 1000:.0f} ms, took {(done - entered) * 1000:.0f} ms)",
                file=self.log,
                flush=True,
            )
        return body
