"""Launcher of the embedded AWS: apply the project's moto compatibility shims, then serve.

Run by `infra` (see emulator.py) as `python -m deployment_infra.emulator_server --port N`.
"""

from __future__ import annotations

import argparse

from deployment_infra.emulator_shims import apply_all


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="moto server with deployment-infra's compatibility shims")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    apply_all()
    from moto.server import main as moto_main  # imported after the shims are in place

    moto_main(["-H", args.host, "-p", str(args.port)])


if __name__ == "__main__":
    main()
