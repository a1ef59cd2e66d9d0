"""A real install, as a user makes one: build the sdist and the wheel (the wheel from the sdist, so the
sdist is complete), install the wheel in a fresh virtual environment and the sdist with pipx, both
outside the checkout, and run the installed programs from an unrelated folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def sh(*argv: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 400) -> str:
    done = subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{argv}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without this checkout's virtual environment or import path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if p and Path(p) != Path(sys.executable).parent
    )
    env.update(extra)
    return env


def exercise(bin_dir: Path, work: Path) -> None:
    """The installed programs do their jobs from a folder that is not the checkout."""
    (work / "boot.ipxe").write_text("#!ipxe\nmenu Pick\nitem a Alpha\nchoose x && goto ${x}\n:a\necho A\n")
    env = clean_env()
    assert "(ipxescript) 0.1.0" in sh(bin_dir / "ipxelint", "--version", cwd=work, env=env)
    assert "(ipxescript) 0.1.0" in sh(bin_dir / "ipxesim", "--version", cwd=work, env=env)
    sh(bin_dir / "ipxelint", "boot.ipxe", cwd=work, env=env)  # clean
    assert sh(bin_dir / "ipxesim", "boot.ipxe", "--choose", "a", cwd=work, env=env).endswith("A\n== exit 0\n")
    assert "Usage: chain" in sh(bin_dir / "ipxescript", "commands", "chain", cwd=work, env=env)
    assert "digraph" in sh(bin_dir / "ipxescript", "graph", "boot.ipxe", cwd=work, env=env)
    # the bundled example tree and its config come with the package
    explained = sh(
        bin_dir / "ipxescript", "serve", "--explain", "52:54:00:12:34:56", "efi64",
        "--state-dir", work / "state", cwd=work, env=env,
    )  # fmt: skip
    assert "boot.ipxe" in explained


@pytest.mark.timeout(900)
def test_sdist_and_wheel_install_in_a_fresh_venv_and_with_pipx(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    sh(sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, ROOT, cwd=tmp_path)
    (sdist,) = dist.glob("ipxescript-*.tar.gz")
    (wheel,) = dist.glob("ipxescript-*.whl")
    work = tmp_path / "work"
    work.mkdir()

    venv = tmp_path / "venv"
    sh(sys.executable, "-m", "venv", venv, cwd=tmp_path, env=clean_env())
    sh(venv / "bin" / "pip", "install", "-q", wheel, cwd=work, env=clean_env())
    located = sh(venv / "bin" / "python", "-c", "import ipxescript; print(ipxescript.__file__)", cwd=work)
    assert located.startswith(str(venv)), located
    exercise(venv / "bin", work)

    pipx_bin = tmp_path / "pipx-bin"
    env = clean_env(PIPX_HOME=str(tmp_path / "pipx-home"), PIPX_BIN_DIR=str(pipx_bin))
    sh(sys.executable, "-m", "pipx", "install", sdist, cwd=work, env=env)
    assert {"ipxescript", "ipxelint", "ipxesim"} <= {p.name for p in pipx_bin.iterdir()}
    exercise(pipx_bin, work)
    shutil.rmtree(tmp_path / "pipx-home", ignore_errors=True)
