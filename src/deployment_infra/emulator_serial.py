"""One request at a time into moto: the `moto-not-thread-safe` gap of the emulator layer.

moto's backends are plain dicts and lists that the threaded server's request threads read and write
without locks (getmoto/moto#372). Terraform sends up to ten requests at once, so under load a
request could iterate a dict another thread was growing (e.g. DescribeSecurityGroupRules walking
every group while CreateSecurityGroup adds one) and fail with a 500 after, or while, changing state.
The provider then retried into InvalidPermission.Duplicate and the environment could not converge.
With the GIL moto's handlers run one at a time anyway, so holding a lock around each costs little.

SQS is exempt: ReceiveMessage long-polls inside its handler, and holding the lock through that
wait would stall every other request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from deployment_infra.emulator_faults import CREDENTIAL_SCOPE

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

    def __init__(self, app: WsgiApp, exempt: frozenset[str] = UNSERIALIZED_SERVICES) -> None:
        self.app = app
        self.exempt = exempt
        self._lock = threading.Lock()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if service_of(environ) in self.exempt:
            return self.app(environ, start_response)
        with self._lock:
            # the body is produced inside the lock too: moto renders it from live backend state
            return list(self.app(environ, start_response))
