"""A short differential fuzz in CI: a fixed seed, a few dozen generated scripts per firmware build,
compared with ipxesim (the long run is `python -m tests.oracle.fuzz`, see docs/oracle.md)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .builds import BUILDS, PROFILES
from .cases import stage_cases
from .fuzz import fuzz, generate, replay, simulate_case, stage

SEED, COUNT = 20261207, 30


def test_generation_is_reproducible_and_covers_the_language() -> None:
    first = [c.text() + str(c.children) for c in generate("efi", 120, SEED)]
    assert first == [c.text() + str(c.children) for c in generate("efi", 120, SEED)]
    text = "\n".join(first)
    for construct in ("${", "||", "&&", "goto ", "chain", "choose ", "prompt", "imgfetch", "set ", "exit"):
        assert construct in text, construct


@pytest.mark.timeout(600)
@pytest.mark.parametrize("profile", PROFILES)
def test_short_fuzz_finds_no_disagreement(profile: str, tmp_path: Path) -> None:
    missing = BUILDS[profile].missing()
    if missing and not os.environ.get("CI"):
        pytest.skip(f"firmware not installed: {', '.join(missing)}")
    transcripts = tmp_path / "run.jsonl"
    report = fuzz(profile, COUNT, SEED, do_shrink=False, transcripts=transcripts)
    assert report.scripts == COUNT, report.to_json()
    # the saved run replays against this simulator without the firmware, with the same verdicts
    replayed = replay(transcripts)[profile]
    assert (replayed["scripts"], replayed["agree"], replayed["disagreements"]) == (COUNT, COUNT, [])
    assert not report.firmware_problems, report.to_json()
    assert not report.disagreements, "\n\n".join(
        str(d["script"]) + "\n".join(map(str, d["problems"]))
        for d in report.disagreements  # type: ignore[call-overload]
    )


def test_replay_reports_a_simulator_that_no_longer_agrees(tmp_path: Path) -> None:
    """Transcripts here are the simulator's own (no firmware needed): all agree until one is changed."""
    cases = generate("efi", 6, SEED)
    _root, loaded = stage(cases, tmp_path / "work")
    staged = stage_cases(tmp_path / "staged", tmp_path / "work" / "cases")
    path = tmp_path / "run.jsonl"
    with path.open("w") as out:
        for case, loaded_case in zip(cases, loaded, strict=True):
            data = simulate_case(loaded_case, staged, "efi")
            firmware = {"name": case.name, "console": data["console"], "screens": data.get("screens", [])}
            record = {"profile": "efi", "name": case.name, "lines": case.lines, "keys": case.keys}
            record |= {"children": case.children, "verdict": "agree"}
            out.write(json.dumps(record | {"firmware": firmware | {"status": data["status"]}}) + "\n")
    assert replay(path)["efi"]["agree"] == 6
    records = [json.loads(line) for line in path.read_text().splitlines()]
    records[2]["firmware"]["console"] += "a line the simulator does not print\n"
    records[4]["verdict"] = "filtered"  # not a fact about the firmware: not compared
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = replay(path)["efi"]
    assert (result["agree"], result["filtered_in_run"]) == (4, 1)
    (wrong,) = result["disagreements"]  # type: ignore[misc]
    assert "a line the simulator does not print" in "\n".join(wrong["problems"])
