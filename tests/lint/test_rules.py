"""Each rule on planted defects (the finding must start on the defect's line) and on correct scripts."""

from __future__ import annotations

from conftest import codes, findings, lines_of

from ipxescript.lint import lint_source
from ipxescript.lint.config import LintConfig

MENU = """#!ipxe
dhcp || goto failed
set base-url http://boot.example.com
menu Boot
item --key d debian Debian
item --key u ubuntu Ubuntu
item --gap -- Tools
item shell iPXE shell
choose --default debian --timeout 5000 target && goto ${target} || goto failed
:debian
kernel ${base-url}/debian/linux
initrd ${base-url}/debian/initrd.gz
boot || goto failed
:ubuntu
kernel ${base-url}/ubuntu/linux
initrd ${base-url}/ubuntu/initrd
boot || goto failed
:shell
shell
:failed
echo Boot failed: ${errno}
prompt Press a key to reboot ||
reboot
"""


def test_the_reference_menu_is_clean():
    assert [f for f in findings(MENU) if f[0] != "IPX203"] == []


def plant(line: int, new: str, text: str = MENU) -> str:
    lines = text.split("\n")
    lines[line - 1] = new
    return "\n".join(lines)


# --- script -----------------------------------------------------------------------------------


def test_magic_missing_bom_blank_and_case():
    assert lines_of("echo hi\n", "IPX001") == [1]
    assert lines_of("\ufeff#!ipxe\necho hi\n", "IPX001") == [1]
    assert lines_of("\n#!ipxe\necho hi\n", "IPX001") == [1]
    assert lines_of("#!IPXE\necho hi\n", "IPX001") == [1]
    assert lines_of("#!ipxe", "IPX001") == [1]
    assert "IPX001" not in codes("#!gpxe\necho hi\n")
    assert "IPX001" not in codes("#!ipxe\r\necho hi\r\n")


def test_comment_swallowing_the_next_line():
    text = "#!ipxe\n# load it \\\nkernel http://x/vmlinuz\nboot\n"
    assert lines_of(text, "IPX003") == [2]
    assert "IPX003" not in codes("#!ipxe\n# ascii art \\\n\necho hi\n")


def test_eof_in_continuation_and_nul_come_from_the_core():
    assert lines_of("#!ipxe\necho a \\", "IPX002") == [2]
    assert lines_of("#!ipxe\necho a\x00b\n", "IPX004") == [2]


# --- commands ---------------------------------------------------------------------------------


def test_command_errors_from_the_core_start_on_the_right_line():
    assert lines_of(plant(19, "shel"), "IPX101") == [19]
    assert lines_of(plant(13, "boot --replce || goto failed"), "IPX102") == [13]
    assert lines_of(plant(2, "goto failed 0"), "IPX104") == [2]
    assert lines_of(plant(22, "sleep 08"), "IPX105") == [22]
    assert lines_of(plant(5, "item debian --key d Debian"), "IPX106") == [5]
    assert lines_of(plant(19, "shell --help"), "IPX107") == [19]


def test_tiny_timeout():
    found = findings(plant(9, "choose --default debian --timeout 5 target && goto ${target} || goto failed"))
    assert ("IPX108", 9, 35) in found
    assert "IPX108" not in codes(MENU)
    assert "IPX108" not in codes("#!ipxe\nprompt --timeout 0 x ||\n")
    through = "#!ipxe\nset wait 5\nprompt --timeout ${wait} Press a key ||\n"
    assert lines_of(through, "IPX108") == [2]


def test_sleep_milliseconds():
    assert lines_of("#!ipxe\nsleep 3000\n", "IPX110") == [2]
    assert "IPX110" not in codes("#!ipxe\nsleep 30\n")


def test_build_profile():
    text = "#!ipxe\nconsole --x 800\nchain https://x.example/boot.ipxe\nnslookup ip example.com\n"
    bios = LintConfig(profile="pcbios")
    assert lines_of(text, "IPX109", bios) == [2, 3, 4]
    assert lines_of(text, "IPX109", LintConfig(profile="efi")) == [4]  # efi has https and console
    # no profile and no [build] table: the project's own build may have anything, so nothing is said
    assert lines_of(text, "IPX109") == []
    # the project's build turns nslookup on; a BIOS build with DOWNLOAD_PROTO_HTTPS has https
    assert lines_of(text, "IPX109", LintConfig(build_enable=("NSLOOKUP_CMD",))) == []
    own = LintConfig(profile="pcbios", build_enable=("DOWNLOAD_PROTO_HTTPS", "NSLOOKUP_CMD"))
    assert lines_of(text, "IPX109", own) == [2]
    disabled = [
        d.message for d in lint_source(text, "t.ipxe", LintConfig(build_disable=("DOWNLOAD_PROTO_HTTPS",)))
    ]
    assert any("build switch DOWNLOAD_PROTO_HTTPS" in m for m in disabled)
    assert any("add NSLOOKUP_CMD to [tool.ipxelint.build] enable" in m for m in disabled)
    assert "IPX109" not in codes(text, LintConfig(ignore=("IPX109",), profile="efi"))


# --- control flow -----------------------------------------------------------------------------


def test_goto_missing_label_with_did_you_mean():
    text = plant(13, "boot || goto faild")
    found = [d for d in lint_source(text) if d.code == "IPX201"]
    assert len(found) == 1 and "failed" in found[0].message
    assert found[0].suggestions == ("failed",)
    assert lines_of(text, "IPX201") == [13]


def test_duplicate_and_unused_labels():
    text = plant(18, ":debian")
    assert lines_of(text, "IPX202") == [18]
    assert lines_of("#!ipxe\n:unused\necho x\n", "IPX203") == [2]


def test_unreachable_after_goto_exit_and_replace():
    assert lines_of("#!ipxe\ngoto end\necho dead\necho dead too\n:end\n", "IPX204") == [3]
    assert lines_of("#!ipxe\nexit 0\necho dead\n", "IPX204") == [3]
    assert lines_of("#!ipxe\nchain --replace http://x/a.ipxe\necho dead\n", "IPX204") == [3]
    assert "IPX204" not in codes("#!ipxe\nchain http://x/a.ipxe\necho alive\n")
    assert "IPX204" not in codes("#!ipxe\ngoto ${x} ||\necho alive\n:end\n")
    assert "IPX204" not in codes("#!ipxe\nisset ${x} && goto end\necho alive (the isset may fail)\n:end\n")


def test_missing_goto_before_a_label_word():
    text = plant(2, "dhcp || failed")
    found = findings(text)
    assert ("IPX205", 2, 9) in found
    assert "IPX101" not in {c for c, line, _ in found if line == 2}  # the precise finding replaces it


def test_space_after_colon_defines_the_empty_label():
    text = plant(18, ": shell")
    assert lines_of(text, "IPX206") == [18]
    assert "IPX206" not in codes("#!ipxe\n:\necho empty label is fine\n")


def test_test_failure_ends_the_script():
    text = plant(3, "isset ${base-url} && set base-url http://boot.example.com")
    assert lines_of(text, "IPX207") == [3]
    assert "IPX207" not in codes(plant(3, "isset ${base-url} || set base-url http://boot.example.com"))
    assert "IPX207" not in codes(plant(3, "iseq ${platform} efi && set x 1 ||"))
    assert "IPX207" not in codes(plant(3, "iseq ${platform} efi && goto a || goto b") + "\n:a\n:b\n")


def test_loop_without_progress():
    text = "#!ipxe\n:wait\necho waiting\nisset ${ip} || goto wait\n"
    assert lines_of(text, "IPX208") == [4]
    assert "IPX208" not in codes("#!ipxe\n:wait\nsleep 1\nisset ${ip} || goto wait\n")
    assert "IPX208" not in codes("#!ipxe\nset i:int32 0\n:loop\ninc i\niseq ${i} 3 || goto loop\n")


def test_kernel_falling_through_without_boot():
    text = plant(13, "echo no boot here")
    assert lines_of(text, "IPX209") == [13]  # where the boot is missing: the end of the section
    deleted = "\n".join(line for n, line in enumerate(MENU.split("\n"), 1) if n != 13)
    assert lines_of(deleted, "IPX209") == [12]
    into_shell = "#!ipxe\n:a\nkernel http://x/k\ninitrd http://x/i\n:shell\nshell\ngoto a\n"
    assert lines_of(into_shell, "IPX209") == [4]
    twice = "#!ipxe\nkernel http://x/a\nkernel http://x/b\nboot\n"
    assert lines_of(twice, "IPX209") == [2]
    assert "IPX209" not in codes(MENU)
    shared = "#!ipxe\n:a\nkernel http://x/a\ngoto doboot\n:b\nkernel http://x/b\n:doboot\nboot\n"
    assert "IPX209" not in codes(shared)


def test_goto_with_colon():
    assert lines_of(plant(2, "dhcp || goto :failed"), "IPX210") == [2]


# --- menus ------------------------------------------------------------------------------------


def test_menu_rules():
    no_menu = plant(4, "echo no menu")
    assert lines_of(no_menu, "IPX301")[:1] == [5]
    bad_default = plant(9, "choose --default debain --timeout 5000 target && goto ${target} || goto failed")
    assert lines_of(bad_default, "IPX302") == [9]
    dup_key = plant(6, "item --key d ubuntu Ubuntu")
    assert lines_of(dup_key, "IPX303") == [6]
    no_label = plant(8, "item rescue Rescue shell")
    assert lines_of(no_label, "IPX304") == [8]
    empty = "#!ipxe\nmenu Boot\nchoose x || exit\n"
    assert lines_of(empty, "IPX305") == [2]


def test_dispatch_with_prefix():
    text = "#!ipxe\nmenu M\nitem a A\nitem b B\nchoose os || exit\ngoto os_${os}\n:os_a\nexit\n"
    assert lines_of(text, "IPX304") == [4]


# --- settings ---------------------------------------------------------------------------------


def test_reference_rules():
    assert lines_of(plant(11, "kernel ${baseurl}/debian/linux"), "IPX403") == [11]
    found = [d for d in lint_source(plant(11, "kernel ${baseurl}/debian/linux")) if d.code == "IPX403"]
    # a script linted alone may get the setting from a parent: an info, with the did-you-mean
    assert found[0].severity.value == "info" and found[0].suggestions[0] == "base-url"
    assert lines_of("#!ipxe\nset menu-timeout 5000\necho ${menu_timeout}\n", "IPX404") == [2]
    assert lines_of(plant(12, "initrd ${base-url}/debian/initrd.gz ${x"), "IPX401") == [12]
    assert lines_of("#!ipxe\necho ${mac:hexhpy}\n", "IPX402") == [2]


def test_builtin_settings_are_known():
    text = "#!ipxe\necho ${platform} ${buildarch} ${net0/mac:hexhyp} ${12} ${hostname} ${errno}\n"
    assert not codes(text)


def test_shell_syntax():
    assert lines_of("#!ipxe\nif isset ${x}\nthen\nfi\n", "IPX405") == [2, 3, 4]
    assert lines_of("#!ipxe\necho $?\n", "IPX405") == [2]
    assert lines_of("#!ipxe\necho $(hostname)\n", "IPX405") == [2]
    assert lines_of("#!ipxe\nset x $HOSTNAME\n", "IPX405") == [2]
    assert lines_of('#!ipxe\nset name "My Server"\n', "IPX406") == [2]
    assert "IPX406" not in codes('#!ipxe\nkernel http://x/k quiet "console=ttyS0"\nboot\n')
    assert lines_of("#!ipxe\nisset hostname || exit\n", "IPX407") == [2]
    iseq = [d for d in lint_source("#!ipxe\niseq platform efi && echo efi ||\n") if d.code == "IPX408"]
    assert len(iseq) == 1 and "${platform}" in iseq[0].message and iseq[0].fix is not None
    assert "IPX408" not in codes("#!ipxe\niseq ${platform} efi && echo efi ||\n")


# --- images -----------------------------------------------------------------------------------


def test_image_rules():
    assert lines_of("#!ipxe\nboot\n", "IPX501") == [2]
    assert "IPX501" not in codes(MENU)
    text = "#!ipxe\nkernel http://x/boot/vmlinuz-6.1?x=1\nimgargs vmlinuz quiet\nboot\n"
    assert lines_of(text, "IPX502") == [3]
    assert "IPX502" not in codes(
        "#!ipxe\nkernel http://x/boot/vmlinuz-6.1?x=1\nimgargs vmlinuz-6.1 quiet\nboot\n"
    )
    assert "IPX502" not in codes("#!ipxe\nkernel --name k http://x/vmlinuz\nimgargs k quiet\nboot\n")
    assert "IPX502" not in codes("#!ipxe\nkernel ${base}/vmlinuz-${v}\nimgargs vmlinuz-6 quiet\nboot\n")
    assert lines_of("#!ipxe\ninitrd http://x/initrd\n", "IPX503") == [2]


# --- URLs -------------------------------------------------------------------------------------


def test_url_rules():
    assert lines_of("#!ipxe\nchain http:/x/boot.ipxe\n", "IPX601") == [2]
    assert lines_of("#!ipxe\nchain http:///boot.ipxe\n", "IPX601") == [2]
    assert lines_of("#!ipxe\nchain http://host:web/boot.ipxe\n", "IPX601") == [2]
    assert lines_of("#!ipxe\nchain smb://host/boot.ipxe\n", "IPX602") == [2]
    assert lines_of("#!ipxe\nchain bootserver:8080/boot.ipxe\n", "IPX602") == [2]
    ok = "#!ipxe\nchain http://${next-server}:8080/boot.ipxe\nchain tftp://${next-server}/x\nchain ${url}\n"
    assert not {"IPX601", "IPX602"} & codes(ok)
    assert not codes("#!ipxe\nchain --autofree data:,%23!ipxe%0Aecho%20hi\n")


# --- the quality bar: correct but unusual scripts ----------------------------------------------


UNUSUAL = [
    "#!ipxe\n:start echo label followed by a command\ngoto start2\n:start2 exit 0\n",
    "#!ipxe\nset i 0\necho ${net${i}/mac}\n",
    "#!ipxe\n:\necho empty label\ngoto ${empty} ||\n",
    "#!ipxe\r\necho crlf\r\n:x\r\ngoto y\r\n:y\r\n",
    "#!ipxe\nchain --autofree \\\n    http://boot.example.com/boot.ipxe \\\n    || goto failed\n:failed\n",
    "#!ipxe\necho hi # inline comment\ndhcp || # tolerate failure\n",
    "#!ipxe\nset op ||\nisset ${op} && echo set ||\n",
    "#!ipxe\nifconf --configurator dhcp net0 || ifconf net1 ||\nchain ${filename}\n",
    "#!ipxe\niseq ${platform} efi && goto efi || goto bios\n:efi\nchain snponly.efi\n:bios\nchain undionly.kpxe\n",
    "#!ipxe\nprompt --key 0x02 --timeout 2000 Press Ctrl-B for the shell... && shell ||\n",
    "#!ipxe\nset i:int32 0\n:loop\ninc i\niseq ${i} 10 || goto loop\n",
    "#!ipxe\nchain http://${next-server}/boot.php?mac=${mac:hexhyp}&uuid=${uuid}\n",
    "#!ipxe\nimgfetch --name cfg http://x/config.txt\nimgstat cfg\n",
    "#!gpxe\necho old magic\n",
]


def test_no_errors_on_correct_unusual_scripts():
    for text in UNUSUAL:
        loud = [(d.code, d.message) for d in lint_source(text) if d.severity.value == "error"]
        assert not loud, (text, loud)


def test_no_errors_or_warnings_on_the_examples():
    from conftest import ROOT

    for path in sorted((ROOT / "examples").glob("*.ipxe")):
        text = path.read_bytes().decode()
        loud = [(d.code, d.message) for d in lint_source(text, str(path)) if d.severity.value != "info"]
        assert not loud, (path.name, loud)


def test_suppression_comments():
    text = "#!ipxe\n# ipxelint: disable=IPX110\nsleep 3000\nsleep 4000\n"
    assert lines_of(text, "IPX110") == [4]
    assert lines_of("#!ipxe\nsleep 3000 # ipxelint: disable=IPX110\n", "IPX110") == []
    assert lines_of("#!ipxe\n# ipxelint: disable-file=IPX1\nsleep 3000\nsleep 4000\n", "IPX110") == []
