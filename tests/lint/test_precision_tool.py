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
LINUX = "#!ipxe\nkernel ${base-url}/linux || goto retry\nboot\ngoto done\n"


def test_a_folder_and_each_file_alone_are_counted_and_judged(tmp_path: Path) -> None:
    repo = tmp_path / "corpus" / "someone+boot"
    repo.mkdir(parents=True)
    (repo / "menu.ipxe").write_text(MENU)
    (repo / "linux.ipxe").write_text(LINUX)
    judgements = tmp_path / "J.tsv"
    judgements.write_text(
        "path\tline\tcode\tverdict\tnote\tscope\n"
        "someone+boot/linux.ipxe\t2\tIPX201\ttrue\tthe parent's error screen instead of a retry\n"
        "someone+boot/linux.ipxe\t4\tIPX201\tdebatable\tan old verdict name for noise\tfile\n"
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
    rows = {
        tuple(line.split("\t")[:3]): line.split("\t")[3:] for line in done.stdout.splitlines() if "\t" in line
    }
    # linted by itself, linux.ipxe still has menu.ipxe as its parent: the same two warnings both
    # ways; per file, line 2 takes the tree's verdict and line 4 has its own row
    assert rows[("tree", "IPX201", "warning")] == ["2", "1", "0", "0", "1", "100.0%"]
    assert rows[("file", "IPX201", "warning")] == ["2", "1", "0", "1", "0", "50.0%"]
    assert "file warning: 1/2 true (50.0%), 0 false, 1 noise, 0 unjudged" in done.stdout
    listed = [line.split("\t") for line in unjudged.read_text().splitlines()[1:]]
    assert [(r[0], r[1], r[2], r[5], r[6]) for r in listed] == [
        ("someone+boot/linux.ipxe", "4", "IPX201", "tree", "warning")
    ]
