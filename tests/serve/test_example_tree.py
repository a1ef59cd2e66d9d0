"""The bundled example tree end to end, as a new user meets it: `ipxescript serve` on a copy of it, every
script a client fetches, and `ipxesim` dry-running it against the live server (which must not change:
no once-assignment taken, no boot in the log)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from ipxescript.sim.fetch import USER_AGENT

from .test_serve_command import free_port, start, wait_http

BUNDLED = Path(__file__).resolve().parents[2] / "ipxescript" / "data" / "boot"
SIM_MAC = "52:54:00:12:34:56"  # the simulated machine's MAC


def cli(*args: str, state: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "IPXESCRIPT_STATE_DIR": str(state)}
    return subprocess.run(
        [sys.executable, "-m", "ipxescript", *args], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.fixture
def example(tmp_path: Path):  # type: ignore[no-untyped-def]
    root = tmp_path / "root"
    shutil.copytree(BUNDLED, root)
    (root / "linux" / "vmlinuz").write_bytes(b"MZ" + b"\0" * 4094)
    (root / "linux" / "initrd.img").write_bytes(b"\0" * 4096)
    state = tmp_path / "state"
    port = free_port()
    proc = start([str(root), "--http-port", str(port), "--tftp-port", "0"], state)
    try:
        wait_http(f"http://127.0.0.1:{port}/", proc)
        yield root, state, f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=15)


@pytest.mark.timeout(240)
def test_dry_runs_leave_the_server_unchanged(example) -> None:  # type: ignore[no-untyped-def]
    root, state, url = example
    assert cli("assign", SIM_MAC, "hello.ipxe", "--once", state=state).returncode == 0
    for _ in range(2):  # a once assignment would be gone after the first real boot
        run = cli("sim", f"{url}/boot.ipxe", "--json", state=state)
        data = json.loads(run.stdout)
        assert "Hello from ipxescript serve." in data["console"], data["console"]
    explored = cli("sim", f"{url}/boot.ipxe", "--explore", state=state)
    assert "Hello from ipxescript serve." not in explored.stderr
    listed = cli("assignments", state=state)
    assert SIM_MAC in listed.stdout and "hello.ipxe" in listed.stdout, listed.stdout + listed.stderr
    auth = {"Authorization": "Bearer " + (state / "api-token").read_text().strip()}
    clients = requests.get(f"{url}/api/clients", timeout=10, headers=auth).json()
    assert clients == [], clients  # dry runs leave no boot in the log
    # the same request without ipxesim's User-Agent is a real boot: it takes the assignment and is logged
    real = requests.get(f"{url}/boot.ipxe?mac={SIM_MAC.replace(':', '-')}", timeout=10).text
    assert "hello.ipxe" in real or "Hello" in real
    assert "hello.ipxe" not in cli("assignments", state=state).stdout
    clients = requests.get(f"{url}/api/clients", timeout=10, headers=auth).json()
    assert SIM_MAC in [c["client"] for c in clients]


@pytest.mark.timeout(240)
def test_every_served_script_is_rendered_and_the_tree_boots(example) -> None:  # type: ignore[no-untyped-def]
    root, state, url = example
    dry = {"User-Agent": USER_AGENT}
    probe = requests.get(f"{url}/boot.ipxe", headers=dry, timeout=10).text
    target = requests.get(f"{url}/boot.ipxe?mac=02-00-00-00-00-09", headers=dry, timeout=10).text
    chained = {
        name: requests.get(f"{url}/{name}", headers=dry, timeout=10).text
        for name in ("hello.ipxe", "linux.ipxe")
    }
    for name, text in {"probe": probe, "target": target, **chained}.items():
        assert text.startswith("#!ipxe"), (name, text)
        assert "{{" not in text and "}}" not in text, (name, text)
        linted = subprocess.run(
            [sys.executable, "-m", "ipxescript", "check", "--stdin-filename", f"{name}.ipxe", "-"],
            input=text,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert linted.returncode == 0, (name, linted.stdout, linted.stderr)
    assert f"kernel {url}/linux/vmlinuz initrd=initrd.img console=ttyS0 quiet" in chained["linux.ipxe"]
    # through the simulator, every menu path of the tree ends as it should
    explored = cli("sim", f"{url}/boot.ipxe", "--explore", "--json", state=state)
    paths = {tuple(p["inputs"]): p for p in json.loads(explored.stdout)["paths"]}
    outcome = {inputs[0] if inputs else "": p["outcome"] for inputs, p in paths.items()}
    assert outcome["menu=linux"] == "boot", paths
    linux = next(p for inputs, p in paths.items() if inputs[:1] == ("menu=linux",))
    assert linux["boot"]["kernel"] == f"{url}/linux/vmlinuz"
    assert outcome["menu=hello"] == "exit" and outcome["menu=shell"] == "shell"
    # without the kernel, the hint says what is missing
    (root / "linux" / "vmlinuz").unlink()
    time.sleep(0.05)
    run = cli("sim", f"{url}/boot.ipxe", "--choose", "linux", state=state)
    assert "put vmlinuz and initrd.img under linux/ on the server" in run.stdout, run.stdout
