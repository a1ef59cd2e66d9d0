"""The full-lint worker process (it lints the files of boot trees): started from any
folder it imports the server's own package; when it cannot start or dies, the server says so
(window/logMessage and window/showMessage) and keeps linting in its own process. Each test starts a
real server over stdio and opens a script that another one chains, so its lint goes to the worker."""

from __future__ import annotations

import asyncio
import os
import signal
import site
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient
from pytest_lsp.client import make_test_lsp_client

from .conftest import diagnostics_where, open_script
from .test_diagnostics import change, codes

ROOT = Path(__file__).resolve().parents[2]
BROKEN = "#!ipxe\n:start\necho hi\ngoto strat\n"


def open_in_tree(client: LanguageClient, folder: Path) -> str:
    """boot.ipxe (BROKEN), chained by menu.ipxe beside it: a tree, linted by the worker."""
    (folder / "menu.ipxe").write_text("#!ipxe\nchain boot.ipxe || shell\n")
    return open_script(client, folder / "boot.ipxe", BROKEN)


def dependency_folders() -> list[str]:
    """Where this environment's packages live: a new venv sees them through a .pth line, which (unlike
    a site folder) does not run their .pth files, so no editable install of ipxescript comes along."""
    return [*site.getsitepackages(), site.getusersitepackages()]


def make_venv(folder: Path, extra_paths: list[str]) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    (site_packages,) = folder.glob("lib/python*/site-packages")
    (site_packages / "dependencies.pth").write_text("\n".join([*extra_paths, *dependency_folders()]) + "\n")
    return folder / "bin" / "python"


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with the package installed from a wheel built from this checkout."""
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp), str(ROOT)],
        check=True,
    )  # fmt: skip
    (wheel,) = tmp.glob("ipxescript-*.whl")
    python = make_venv(tmp / "venv", [])
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
        check=True,
    )
    return tmp / "venv"


@asynccontextmanager
async def server(command: list[str], cwd: Path, workspace: Path) -> AsyncIterator[LanguageClient]:
    client = make_test_lsp_client()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    await client.start_io(*command, cwd=str(cwd), env=env)
    await client.initialize_session(
        types.InitializeParams(capabilities=types.ClientCapabilities(), root_uri=workspace.as_uri())
    )
    try:
        yield client
    finally:
        await client.shutdown_session()


def worker_pids(server_pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{server_pid}/task").iterdir():
        children += [int(p) for p in (task / "children").read_text().split()]
    return children


async def wait_for(condition, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


@pytest.mark.timeout(180)
async def test_server_installed_from_a_wheel_lints_in_a_folder_holding_a_source_checkout(
    wheel_venv: Path, tmp_path: Path
) -> None:
    # the editor starts the server with the checkout as its current folder: the checkout's
    # ipxescript/ must not shadow the installed package in the worker
    async with server([str(wheel_venv / "bin" / "ipxescript"), "lsp"], ROOT, tmp_path) as client:
        uri = open_in_tree(client, tmp_path)
        found = await diagnostics_where(client, uri, lambda ds: "IPX201" in codes(ds))
        assert "did you mean 'start'" in next(d.message for d in found if d.code == "IPX201")
        assert client.messages == []


def test_package_imports_the_same_from_a_checkout_as_from_a_wheel(wheel_venv: Path, tmp_path: Path) -> None:
    code = (
        "import sys, ipxescript, ipxescript.lsp.server, ipxescript.grammar; "
        "print(ipxescript.lsp.server.__file__); print(ipxescript.parse('#!ipxe\\necho hi\\n').lines[1].commands[0].name)"
    )
    from_checkout = make_venv(tmp_path / "checkout-venv", [str(ROOT)])
    for python, folder in ((from_checkout, ROOT / "lsp"), (wheel_venv / "bin" / "python", wheel_venv)):
        out = subprocess.run([str(python), "-c", code], cwd=tmp_path, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        where, name = out.stdout.split()
        assert Path(where).is_relative_to(folder) and name == "echo"


@pytest.mark.timeout(180)
async def test_worker_that_cannot_start_is_reported_and_linting_goes_on(tmp_path: Path) -> None:
    # the interpreter the server runs on is removed under it (a venv rebuilt while the editor runs):
    # the worker, started on the first lint, cannot start
    python = make_venv(tmp_path / "venv", [str(ROOT)])
    async with server([str(python), "-m", "ipxescript", "lsp"], tmp_path, tmp_path) as client:
        python.unlink()
        uri = open_in_tree(client, tmp_path)
        found = await diagnostics_where(client, uri, lambda ds: "IPX201" in codes(ds))
        assert "did you mean 'start'" in next(d.message for d in found if d.code == "IPX201")
        (shown,) = client.messages
        assert shown.type == types.MessageType.Warning
        assert "the lint worker could not start" in shown.message and str(python) in shown.message
        assert "own process" in shown.message
        assert any(m.message == shown.message for m in client.log_messages)


@pytest.mark.timeout(180)
async def test_worker_that_dies_is_reported_and_linting_goes_on(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "ipxescript", "lsp"]
    async with server(command, tmp_path, tmp_path) as client:
        uri = open_in_tree(client, tmp_path)
        await diagnostics_where(client, uri, lambda ds: "IPX201" in codes(ds))
        assert client._server is not None
        (worker,) = worker_pids(client._server.pid)
        os.kill(worker, signal.SIGKILL)
        # a goto to a label that does not exist: only the full lint sees that
        end = types.Position(line=4, character=0)
        change(client, uri, 2, end, end, "goto nowhere\n")
        found = await diagnostics_where(client, uri, lambda ds: any("nowhere" in d.message for d in ds))
        assert [d.code for d in found if d.code == "IPX201"] == ["IPX201", "IPX201"]
        (shown,) = client.messages
        assert "the lint worker killed by signal 9" in shown.message, shown.message
        assert any(m.message == shown.message for m in client.log_messages)
        change(client, uri, 3, end, end, "goto elsewhere\n")
        await diagnostics_where(client, uri, lambda ds: any("elsewhere" in d.message for d in ds))
        assert len(client.messages) == 1  # said once
