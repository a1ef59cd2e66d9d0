"""Every place where Debian 12's 2019 build (debian-12-efi) and upstream (efi) behave differently."""

from __future__ import annotations


def both(run, text, **options):
    return run(text, profile="debian-12-efi", **options), run(text, profile="efi", **options)


def test_error_urls_are_http_on_debian(run):
    debian, upstream = both(run, "show nothing ||\n")
    assert debian.console.endswith("(http://ipxe.org/2d0c208e)\n")
    assert upstream.console.endswith("(https://ipxe.org/2d0c208e)\n")


def test_usage_footer_url(run):
    debian, upstream = both(run, "isset\n")
    assert "See http://ipxe.org/cmd/isset for" in debian.console
    assert "See https://ipxe.org/cmd/isset for" in upstream.console


def test_empty_integer_is_zero_only_on_debian(run):
    debian, upstream = both(run, "sleep ${nothing}\necho slept\n")
    assert debian.console == "slept\n"
    assert upstream.console == '"": invalid integer value\n'
    assert upstream.status == 0x1C162182


def test_menu_error_messages(run):
    debian, upstream = both(run, "item x ||\nchoose --menu m x ||\n")
    assert debian.console == 'No default menu\n"m": no such menu\n'
    assert upstream.console == 'No default user interface\n"m": no such user interface\n'


def test_options_missing_on_debian(run):
    debian, upstream = both(run, "menu M\nitem a A\nchoose --retimeout 100 x\necho x=${x}\n", keys="ENTER")
    assert debian.console.startswith('Unrecognised option "--retimeout"\nUsage:')
    assert upstream.console == "x=a\n"
    debian, upstream = both(run, "set v 1\nshow -q v\n")
    assert debian.console.startswith('Unrecognised option "-q"')
    assert upstream.console == "1\n"


def test_item_usage_names_label_on_debian(run):
    debian, upstream = both(run, "item --help ||\n")
    assert (
        "[-m|--menu <menu>] [-k|--key <key>] [-d|--default] [-g|--gap] [<label> [<text>]]" in debian.console
    )
    assert "[<name> [<text>]]" in upstream.console and "--secret" in upstream.console


def test_command_sets(run):
    debian, upstream = both(run, "params ||\nntp pool ||\necho done\n")
    assert debian.console == "params: command not found\nntp: command not found\ndone\n"
    assert upstream.console == "done\n"


def test_help_order(run):
    debian, upstream = both(run, "help\n")
    assert debian.console.splitlines()[3].split() == ["config", "cpuid", "dhcp", "pxebs", "ifopen"]
    first = upstream.console.splitlines()[3].split()
    assert first == sorted(first) and first[0] == "autoboot"


def test_tab_in_menus(run):
    text = "menu M\nitem a A\nitem b B\nchoose x\necho x=${x}\n"
    debian, upstream = both(run, text, keys="TAB ENTER")
    assert debian.console == "x=a\n"
    assert upstream.console == "x=b\n"


def test_duplicate_shortcuts(run):
    text = "menu M\nitem --key x a A\nitem b B\nitem --key x c C\nchoose got\necho got=${got}\n"
    debian, upstream = both(run, text, keys="x")
    assert debian.console == "got=b\n"
    assert upstream.console == "got=a\n"


def test_countdown_after_a_key(run):
    # Debian: any key kills the countdown for good; upstream: --retimeout re-arms it
    text = "menu M\nitem a A\nitem b B\nchoose --timeout 3000 x\necho x=${x}\n"
    debian = run(text, profile="debian-12-efi", keys="DOWN")
    assert debian.outcome == "stuck"
    upstream = run(
        text.replace("--timeout 3000", "--timeout 3000 --retimeout 2000"), profile="efi", keys="DOWN"
    )
    assert upstream.console == "x=b\n"


def test_uristring_plus(run):
    debian, upstream = both(run, "set u a+b\necho ${u:uristring}\n")
    assert debian.console == "a+b\n"
    assert upstream.console == "a%2Bb\n"


def test_scheme_detection_with_colon(run):
    run.file("52:54/boot.ipxe", "#!ipxe\necho found\n")
    debian, upstream = both(run, "chain 52:54/boot.ipxe\n")
    assert debian.console == "Could not start download: Operation not supported (http://ipxe.org/3c092083)\n"
    assert upstream.console == "52:54/boot.ipxe... ok\nfound\n"


def test_download_line_reencoding(run):
    run.file("a b.txt", "x")
    debian, upstream = both(run, "imgfetch a%20b.txt\n")
    assert debian.console == "a%20b.txt... ok\n"
    assert upstream.console == "a%20b.txt... ok\n"
    debian, upstream = both(run, "imgfetch nothere/x:y ||\n")
    assert debian.console.startswith("Could not start download")


def test_cwuri_exists_only_upstream(run):
    debian, upstream = both(run, "echo [${cwuri}]\n")
    assert debian.console == "[]\n"
    assert upstream.console.startswith("[file://") and upstream.console.endswith("/main.ipxe]\n")


def test_key_values(run):
    # Debian adds no KEY_MIN: 0x141 is Up and 0x110141 never matches; upstream maps both to Up
    text = "prompt --key 0x141 --timeout 100 ||\necho ${errno}\nprompt --key 0x110141 --timeout 100 ||\necho ${errno}\n"
    debian, upstream = both(run, text, keys="UP UP")
    assert debian.console == "0x0\n0xb22e095\n"
    assert upstream.console == "0x0\n0x0\n"


def test_setting_types(run):
    debian, upstream = both(
        run,
        "set g:guid 00112233-4455-6677-8899-aabbccddeeff ||\nset u:uuid 00112233445566778899aabbccddeeff ||\necho ${u}\n",
    )
    assert debian.console.splitlines()[:2] == [
        '"g:guid": invalid setting',
        'Could not store "u": Operation not supported (http://ipxe.org/3c0c2083)',
    ]
    assert upstream.console == "00112233-4455-6677-8899-aabbccddeeff\n"


def test_console_bytes(run):
    debian, upstream = both(run, "echo café €\n")
    assert debian.console == "caf?? ???\n"
    assert upstream.console == "café €\n"


def test_select_failure_clears_selection_on_debian(run):
    run.file("k.efi", b"MZ" + b"\0" * 100)
    run.file("n.txt", "not a script\n")
    debian, upstream = both(run, "kernel k.efi\nkernel n.txt ||\nimgstat k.efi\n")
    assert debian.console.splitlines()[-1] == "k.efi : 102 bytes [EFI]"
    assert upstream.console.splitlines()[-1] == "k.efi : 102 bytes [EFI] [SELECTED]"


def test_data_uris_only_upstream(run):
    debian, upstream = both(run, "imgfetch data:,hello ||\nimgstat\n")
    assert debian.console == "Could not start download: Operation not supported (http://ipxe.org/3c092083)\n"
    assert upstream.console == "data:,hello... ok\n,hello : 5 bytes\n"


def test_opaque_part_names_images_only_upstream():
    from ipxescript.sim import uri

    assert uri.image_name(uri.parse("file:k.efi", legacy=True), legacy=True) is None
    assert uri.image_name(uri.parse("file:k.efi"), legacy=False) == "k.efi"


def test_builtins(run):
    debian, upstream = both(run, "echo ${version} ${platform} ${buildarch}\n")
    assert debian.console == "1.0.0+git-20190125.36a4c85-5.1 efi x86_64\n"
    assert upstream.console.endswith(" efi x86_64\n") and not upstream.console.startswith("1.0.0")
    pcbios = run("echo ${platform} ${buildarch}\n", profile="pcbios")
    assert pcbios.console == "pcbios i386\n"


def test_pcbios_runs_any_small_file(run):
    run.file("blob.bin", "not a script at all\n")
    result = run("chain http://server/blob.bin\n", profile="pcbios", maps=[f"http://server/={run.root}"])
    assert result.outcome == "boot"
    assert result.boot["type"] == "PXE-NBP"


def test_http_404_text(run):
    from ipxescript.sim import errors

    assert (
        errors.strerror(0x2D0C618E, "efi", "http://ipxe.org")
        == "No such file or directory (http://ipxe.org/2d0c618e)"
    )
    upstream_texts = {0x2D0C618E: "Not found"}
    assert (
        errors.strerror(0x2D0C618E, "efi", "https://ipxe.org", upstream_texts)
        == "Not found (https://ipxe.org/2d0c618e)"
    )


def test_quiet_downloads_only_upstream(run):
    run.file("x.txt", "x")
    debian, upstream = both(run, "imgfetch -q x.txt ||\nimgstat\n")
    assert debian.console.startswith('Unrecognised option "-q"')
    assert upstream.console == "x.txt : 1 bytes\n"
