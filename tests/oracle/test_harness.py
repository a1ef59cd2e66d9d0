"""The oracle's own machinery on made-up serial streams: decoding, cutting cases out, comparing."""

from __future__ import annotations

from pathlib import Path

import pytest

from .cases import Case, load_case, load_cases
from .compare import compare, normalize_console, normalize_screen
from .firmware import GARBLED, Transcript, cut_case, driver_script
from .keys import key_bytes
from .vt import Decoder, render_text

MENU_ENTRY = b"\x1b[2J\x1b[01;01H\x1b[0m\x1b[37m\x1b[44m\x1b[2J\x1b[01;01H"
MENU_EXIT = b"\x1b[25;01H\x1b[0m\x1b[37m\x1b[40m\r\n\x1b[2J\x1b[01;01H"


def case(name: str, keys: str = "") -> Case:
    return Case(name=name, path=Path(f"/cases/{name}.ipxe"), keys=keys)


def boot(*parts: bytes) -> Decoder:
    decoder = Decoder(enable_after="@@ORACLE-READY")
    decoder.feed(b"\x1b[2J\x1b[01;01HBdsDxe: starting\r\n@@ORACLE-READY\r\n" + b"".join(parts))
    return decoder


def framed(name: str, body: bytes, status: str = "0") -> bytes:
    head = f"@@ORACLE-BEGIN {name}\r\ntftp://10.0.2.2/{name}.ipxe... ok\r\n".encode()
    return head + body + f"@@ORACLE-END {name} {status}\r\n".encode()


def test_carriage_return_and_backspace_overwrite() -> None:
    assert render_text("Press any key\b \b\b \b\b \b") == "Press any"
    assert render_text("12%\r45%\rdone") == "done"
    assert render_text("abc\b\bX\n") == "aXc\n"


def test_clears_before_the_ready_line_do_not_start_a_drawing() -> None:
    decoder = boot(b"hello\r\n")
    assert not decoder.in_screen
    assert decoder.lines.lines[-1] == "hello"


def test_menu_is_not_console_text_and_ends_a_partial_line() -> None:
    decoder = boot(b"partial", MENU_ENTRY, b"\x1b[02;37HTitle\x1b[04;02H  Item", MENU_EXIT, b"after\r\n")
    assert decoder.lines.lines[-2:] == ["partial", "after"]
    assert len(decoder.screens) == 1
    rows = decoder.screens[0].rows
    assert rows[1] == " " * 36 + "Title"
    assert rows[3] == "   Item"
    assert len(rows) == 25


def test_identical_rest_snapshots_collapse_and_blank_ones_are_dropped() -> None:
    decoder = boot(MENU_ENTRY)
    decoder.take_snapshot()  # blank screen: nothing
    decoder.feed(b"\x1b[04;02H  A")
    decoder.take_snapshot()
    decoder.take_snapshot()
    decoder.feed(MENU_EXIT)
    assert [s.rows[3] for s in decoder.screens] == ["   A"]


EFI_CLEAR = b"\x1b[2J\x1b[01;01H"  # what OVMF sends for the ClearScreen a script's ESC[J asks for


@pytest.mark.parametrize("clear", [EFI_CLEAR, b"\x1b[J", b"\x1b[2J"])
def test_a_scripts_clear_is_no_drawing(clear: bytes) -> None:
    # `echo -n a${cls}b` + `echo ${cls}` + `echo c`; the BIOS build passes the script's bytes through
    # at the bottom row (after scrolling), the EFI builds clear and move home
    filler = b"".join(b"line %d\r\n" % i for i in range(30))
    decoder = boot(filler, b"a", clear, b"b\r\n", clear, b"\r\nc\r\n")
    decoder.take_snapshot()
    decoder.feed(b"d\r\n")
    assert decoder.lines.lines[-4:] == ["ab", "", "c", "d"]
    assert not decoder.in_screen and decoder.screens == []


def test_a_menu_after_a_scripts_clear_is_still_a_drawing() -> None:
    decoder = boot(EFI_CLEAR, b"\r\n", MENU_ENTRY, b"\x1b[04;02H  A", MENU_EXIT, b"after\r\n")
    assert decoder.lines.lines[-2:] == ["", "after"]
    assert [s.rows[3] for s in decoder.screens] == ["   A"]


def test_the_bios_builds_stray_m_after_a_drawing_ends_it_as_usual() -> None:
    # the BIOS build's endwin: `\n` on the last row, then its broken `ESC 0m` (a terminal shows the m)
    exit_ = b"\x1b[25;1H\x1b[0;22m\r\n\x1b0m\x1b[39m\x1b[2J"
    decoder = boot(b"\x1b0m\x1b[2J\x1b[04;02H  A", exit_, b"after\r\n")
    assert [s.rows[3] for s in decoder.screens] == ["   A"]
    assert decoder.lines.lines[-1] == "after" and not decoder.in_screen


def test_lost_bytes_are_noticed() -> None:
    decoder = boot(MENU_ENTRY, b"\x1b[22;0      \x1b[22;02H")
    assert decoder.garbled_lines


def test_cut_case_drops_driver_lines_and_keeps_a_partial_last_line() -> None:
    decoder = boot(framed("a", b"one\r\ntwo\r\nno newline"), framed("b", b"x\r\n"))
    got = cut_case(decoder, case("a"), decoder.lines.lines.index("@@ORACLE-BEGIN a"))
    assert got.console == "one\ntwo\nno newline"
    assert got.status == 0 and got.screens == [] and got.problems == []


def test_cut_case_removes_the_drivers_could_not_boot_line() -> None:
    body = b"inner\r\nCould not boot: Error 0x00000003 (http://ipxe.org/00000003)\r\n"
    decoder = boot(framed("c", body, "0x3"))
    got = cut_case(decoder, case("c"), decoder.lines.lines.index("@@ORACLE-BEGIN c"))
    assert got.console == "inner\n"
    assert got.status == 3


def test_cut_case_takes_only_its_own_screens() -> None:
    menu = MENU_ENTRY + b"\x1b[04;02H  Only" + MENU_EXIT
    decoder = boot(framed("m1", menu + b"done\r\n"), framed("m2", b"plain\r\n"))
    lines = decoder.lines.lines
    first = cut_case(decoder, case("m1"), lines.index("@@ORACLE-BEGIN m1"))
    second = cut_case(decoder, case("m2"), lines.index("@@ORACLE-BEGIN m2"))
    assert [s[3] for s in first.screens] == ["   Only"]
    assert first.console == "done\n"
    assert second.screens == []


def test_cut_case_reports_garbled_output() -> None:
    decoder = boot(framed("g", b"\x1b[22;0  x\r\n"))
    got = cut_case(decoder, case("g"), decoder.lines.lines.index("@@ORACLE-BEGIN g"))
    assert GARBLED in got.problems


def test_compare_accepts_raw_simulator_console_and_string_screens() -> None:
    want = Transcript("t", "Hello\n", [["", "  Title"]], 0)
    assert compare(want, "Press\b \b\b \b\b \b\b \b\b \bHello\n", ["\n  Title\n"], 0) == []


def test_compare_reports_each_kind_of_difference() -> None:
    want = Transcript("t", "one\ntwo\n", [["", "  Title"]], 0)
    problems = compare(want, "one\nTWO\n", [["", "  Other"], []], 0x2D0AE08E)
    text = "\n".join(problems)
    assert "-two" in text and "+TWO" in text
    assert "firmware drew 1 screen(s), simulator 2" in text
    assert "-  Title" in text and "+  Other" in text
    assert "status differs: firmware 0x0, simulator 0x2d0ae08e" in text


def test_normalizers() -> None:
    assert normalize_console("caf\u00e9  \nx") == ["caf?", "x"]
    assert normalize_screen(["a  "]) == ["a"] + [""] * 24


def test_key_names() -> None:
    assert key_bytes("DOWN") == b"\x1b[B"
    assert key_bytes("ENTER") == b"\r"
    assert key_bytes("CTRL-C") == b"\x03"
    assert key_bytes("F12") == b"\x1b[24~"
    assert key_bytes("text:ab") == b"ab"
    assert key_bytes("x") == b"x"
    with pytest.raises(ValueError, match="unknown key name"):
        key_bytes("NOPE")


def test_case_headers_and_settings_to_clear(tmp_path: Path) -> None:
    path = tmp_path / "demo.ipxe"
    path.write_text(
        "#!ipxe\n# keys: DOWN ENTER\n# wait: Pick\n# clear: extra\n# timeout: 5\n"
        "set a:int32 1\ninc n 2\nread r\nmenu --name mm Title\n"
        "choose --menu mm --timeout 100 c || echo ${a}\nclear ${dyn}\n"
    )
    got = load_case(path)
    assert got.keys == "DOWN ENTER" and got.wait == "Pick" and got.timeout == 5
    assert got.settings == ["a", "c", "extra", "n", "r"]
    assert got.menus == ["mm"]
    driver = driver_script([got])
    assert "chain --autofree tftp://10.0.2.2/demo.ipxe && echo @@ORACLE-END demo 0 ||" in driver
    assert "menu --delete --name mm ||" in driver and "clear extra ||" in driver


def test_every_shipped_case_loads() -> None:
    cases = load_cases()
    assert len(cases) >= 40
    assert len({c.name for c in cases}) == len(cases)


def test_ifstat_error_lines_are_left_out_like_its_counters() -> None:
    """What went wrong on the link since the boot began is the boot's history, not the case's."""
    firmware = (
        "net0: 52:54:00:12:34:56 (open)\n  [Link:up, TX:9 TXE:2 RX:4 RXE:5]\n"
        '  [TXE: 2 x "Operation canceled (https://ipxe.org/0b086095)"]\nnet0-9: (open)\n'
    )
    simulator = "net0: 52:54:00:12:34:56 (open)\n  [Link:up, TX:0 TXE:0 RX:0 RXE:0]\nnet0-9: (open)\n"
    assert normalize_console(firmware) == normalize_console(simulator)
    assert normalize_console("  [TXE: 2 x made up]\n") != normalize_console("")  # only iPXE's form
