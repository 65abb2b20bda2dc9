"""One request at a time into moto, and a replay of answered retries (the emulator layer's guards).

moto's backends are plain dicts and lists that the threaded server's request threads read and write
without locks (getmoto/moto#372); Terraform sends up to ten requests at once. Holding a lock around
each request keeps moto's state consistent; with the GIL its handlers ran one at a time anyway, so
it costs little. It was added for CI's duplicate-create failures, whose cause turned out to be the
Go SDK losing answers (see SerializedApp): it stays as a guard, not as that fix.

SQS is exempt: ReceiveMessage long-polls inside its handler, and holding the lock through that
wait would stall every other request.

Each request is also written to the emulator's log (.infra/emulator-<port>.log) as one line:
service, operation, the SDK's attempt header, status, time waited for the lock and time in moto.
werkzeug's own line says only "POST / 200", which could not tell which call a 409 answered.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
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


# A retry whose first attempt moto answered with a 2xx gets that answer again (below).
REPLAY_ENTRIES = 256
REPLAY_MAX_BODY = 1 << 20


class SerializedApp:
    """WSGI middleware: the wrapped app handles one request at a time, response body included.

    It also replays: the AWS SDKs send `amz-sdk-invocation-id` (one id per call, the same on each
    retry). In full `make test` runs under load the emulator's log showed retries of calls moto had
    answered 200 (GetUser, DescribeSubnets); a retried create then met its own first attempt
    (CreateRole 409 EntityAlreadyExists, an SG rule InvalidPermission.Duplicate) and the resource
    reached moto but never the Terraform state. A retry of a call already answered with a 2xx gets
    that same answer, as if the first response had arrived, instead of running the call twice.
    """

    def __init__(
        self, app: WsgiApp, exempt: frozenset[str] = UNSERIALIZED_SERVICES, log: TextIO | None = None
    ) -> None:
        self.app = app
        self.exempt = exempt
        self.log = log
        self._lock = threading.Lock()
        self._answered: OrderedDict[str, tuple[str, list[tuple[str, str]], list[bytes]]] = OrderedDict()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if service_of(environ) in self.exempt:
            return self.app(environ, start_response)
        response: list[tuple[str, list[tuple[str, str]]]] = []

        def recording_start_response(code: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            response.append((code, list(headers)))
            return start_response(code, headers, *args)

        # identified before moto reads the body (a query-protocol action is in the form body)
        traced = self.log is not None and not str(environ.get("PATH_INFO", "")).startswith("/moto-api")
        request = identify(environ) if traced else None
        invocation = str(environ.get("HTTP_AMZ_SDK_INVOCATION_ID", ""))
        arrived = time.monotonic()
        with self._lock:
            entered = time.monotonic()
            replayed = self._answered.get(invocation) if invocation else None
            if replayed is not None:
                code, headers, body = replayed
                start_response(code, headers)
                response.append((code, headers))
            else:
                # the body is produced inside the lock too: moto renders it from live backend state
                body = list(self.app(environ, recording_start_response))
                self._remember(invocation, response, body, environ)
            done = time.monotonic()
        if request is not None and self.log is not None:
            # the invocation id's head tells a retry of this call from another call's first attempt
            attempt = f" [{request.attempt}; call {invocation[:8]}]" if request.attempt else ""
            what = request.operation or environ.get("PATH_INFO")
            code = response[0][0].split(" ", 1)[0] if response else "?"
            # one write, newline included: werkzeug's threads write their own lines to the same
            # stream, and print()'s separate newline write let two lines run together
            self.log.write(
                f"request: {request.service or '-'} {what}{attempt} -> {code}"
                f"{' (replayed: answered before)' if replayed is not None else ''} "
                f"(waited {(entered - arrived) * 1000:.0f} ms, took {(done - entered) * 1000:.0f} ms)\n"
            )
            self.log.flush()
        return body

    def _remember(
        self,
        invocation: str,
        response: list[tuple[str, list[tuple[str, str]]]],
        body: list[bytes],
        environ: Environ,
    ) -> None:
        if not invocation or not response or not response[0][0].startswith("2"):
            return  # errors are retried for real: throttling and 5xx drills depend on it
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD") or sum(map(len, body)) > REPLAY_MAX_BODY:
            return  # reads are safe to run again; large bodies are not worth the memory
        self._answered[invocation] = (response[0][0], response[0][1], body)
        while len(self._answered) > REPLAY_ENTRIES:
            self._answered.popitem(last=False)
