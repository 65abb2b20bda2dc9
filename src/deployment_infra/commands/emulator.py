"""`infra emulator start|stop|status`."""

from __future__ import annotations

from deployment_infra import settings as settings_mod
from deployment_infra import ui
from deployment_infra.emulator import Emulator
from deployment_infra.ui import print_json


def _emulator() -> Emulator:
    s = settings_mod.load()
    return Emulator(s.run_dir, s.emulator_port)


def start(as_json: bool) -> int:
    emu = _emulator()
    ui.step(f"starting the embedded AWS on {emu.url}")
    status = emu.ensure_running()
    if as_json:
        print_json(status.to_dict())
    else:
        ui.ok(f"emulator running at {status.url} (pid {status.pid})")
    return 0


def stop(as_json: bool) -> int:
    from deployment_infra.deploy.runtime import LocalRuntime

    s = settings_mod.load()
    emu = Emulator(s.run_dir, s.emulator_port)
    stopped = emu.stop()
    # The reference service instances the local target runs as the emulated services' tasks go too.
    services = LocalRuntime(s).stop_all()
    if as_json:
        print_json({"stopped": stopped, "port": emu.port, "services_stopped": services})
    else:
        ui.ok("emulator stopped" if stopped else f"no emulator started by infra on port {emu.port}")
        if services:
            ui.ok(f"stopped {services} local service instance(s)")
    return 0


def status(as_json: bool) -> int:
    st = _emulator().status()
    if as_json:
        print_json(st.to_dict())
    elif st.running:
        owner = f"pid {st.pid}" if st.owned else "not started by infra here"
        ui.out.print(f"running at {st.url} ({owner})")
    else:
        ui.out.print(f"not running (port {st.port})")
    return 0 if st.running else 3
