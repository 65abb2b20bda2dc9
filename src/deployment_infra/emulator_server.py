"""Launcher of the embedded AWS: apply the project's moto compatibility shims, then serve.

Run by `infra` (see emulator.py) as `python -m deployment_infra.emulator_server --port N`.
The moto server app is wrapped in two middlewares: one request at a time into moto (emulator_serial.py,
which also replays answered retries and logs each request), and outside that the fault injection
(emulator_faults.py), idle until a drill posts a rule to /_infra/faults.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from types import FrameType

from deployment_infra.emulator_shims import apply_all


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="moto server with deployment-infra's compatibility shims")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    apply_all()
    serve(args.host, args.port)


def serve(host: str, port: int) -> None:
    """What `moto.server.main` does (threaded werkzeug, moto's request handler), with our middleware."""
    # imported after the shims are in place
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import run_simple

    from deployment_infra.emulator_faults import FaultInjector
    from deployment_infra.emulator_serial import SerializedApp

    os.environ.setdefault("MOTO_PORT", str(port))  # moto builds its own URLs (queues, presigned) from it
    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGINT, _exit)
    app = FaultInjector(SerializedApp(DomainDispatcherApplication(create_backend_app), log=sys.stderr))
    run_simple(host, port, app, threaded=True, request_handler=MotoRequestHandler)


def _exit(_signum: int, _frame: FrameType | None) -> None:
    sys.exit(0)


if __name__ == "__main__":
    main()
