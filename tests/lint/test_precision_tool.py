"""tools/precision.py, the measure of docs/precision.md: both ways a user lints a checkout, matched
against a judgement file (scripts written for the test)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import ROOT

MENU = (
    "#!ipxe\nset base-url http://x.example\nchain --autofree linux.ipxe || goto error\nexit\n:error\nshell\n"
)
LINUX = "#!ipxe\nkernel ${base-url}/linux || goto error\nboot || goto error\n"


def test_a_folder_and_each_file_alone_are_counted_and_judged(tmp_path: Path) -> None:
    repo = tmp_path / "corpus" / "someone+boot"
    repo.mkdir(parents=True)
    (repo / "menu.ipxe").write_text(MENU)
    (repo / "linux.ipxe").write_text(LINUX)
    judgements = tmp_path / "J.tsv"
    judgements.write_text(
        "path\tline\tcode\tverdict\tnote\tscope\n"
        "someone+boot/linux.ipxe\t2\tIPX201\tdebatable\tthe parent shows its error screen\tfile\n"
    )
    unjudged = tmp_path / "U.tsv"
    done = subprocess.run(
        [sys.executable, "tools/precision.py", str(tmp_path / "corpus"), "--judgements", str(judgements)]
        + ["--write-unjudged", str(unjudged)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    # the tree knows menu.ipxe handles the child's failure (an info, not counted); alone, the two
    # `|| goto error` of linux.ipxe are warnings: one judged noise, one left to judge
    assert "file\tIPX201\twarning\t2\t0\t0\t1\t1\t0.0%" in done.stdout
    assert "tree warning: nothing judged" in done.stdout
    assert "file warning: 0/1 true (0.0%), 0 false, 1 noise, 1 unjudged" in done.stdout
    rows = [line.split("\t") for line in unjudged.read_text().splitlines()[1:]]
    assert [(r[0], r[1], r[2], r[5], r[6]) for r in rows] == [
        ("someone+boot/linux.ipxe", "3", "IPX201", "file", "warning")
    ]
