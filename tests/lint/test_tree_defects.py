"""Defects a user met linting whole boot trees (a folder of chained scripts), as the user saw them."""

from __future__ import annotations

from pathlib import Path


def test_a_percent_encoded_chain_reaches_the_file_it_names(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    # iPXE decodes %XX in a URI's path (uri.c: parse_uri): 'my%20sub.ipxe' is the file 'my sub.ipxe'
    (tmp_path / "boot.ipxe").write_text("#!ipxe\nset base http://x/\nchain my%20sub.ipxe\n")
    (tmp_path / "my sub.ipxe").write_text("#!ipxe\nkernel ${base}vmlinuz\nboot\n")
    for given in (".", "my sub.ipxe"):
        result = run_cli(given, cwd=tmp_path)
        assert result.stdout == "", result.stdout  # no 'base is never set' / 'stored but never read'
        assert result.returncode == 0
