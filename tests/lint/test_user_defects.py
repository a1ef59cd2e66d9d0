"""Defects a user met running ipxelint on real scripts and odd files, each as the user saw it."""

from __future__ import annotations

# a menu's exit entry whose last line was meant as a command: iPXE has 'poweroff', not 'shutdown'
SHUTDOWN_UNDER_ITS_LABEL = (
    "#!ipxe\nmenu\nitem shutdown Power off\nchoose target || exit\ngoto ${target}\n:shutdown\nshutdown\n"
)


def test_fix_never_turns_a_command_under_its_own_label_into_an_endless_loop(tmp_path, run_cli):
    path = tmp_path / "menu.ipxe"
    path.write_text(SHUTDOWN_UNDER_ITS_LABEL)
    result = run_cli("--fix", str(path))
    assert path.read_text() == SHUTDOWN_UNDER_ITS_LABEL  # 'goto shutdown' would jump to the line above
    assert result.returncode == 1
    assert result.stdout.startswith(
        f"{path}:7:1: error IPX101 'shutdown' is not an iPXE command: the line fails with 'command not found'"
    )
    assert "goto shutdown" not in result.stdout
