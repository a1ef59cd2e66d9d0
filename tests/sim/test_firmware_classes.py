"""Classes of disagreement the outside-style oracle cases found (issue 11), one named test each.

Each was recorded on the three builds (tests/oracle/cases/: types_*, setting_*, predefined_*,
rare_*, image_*); these tests pin the simulator's side without QEMU."""

from __future__ import annotations

import hashlib


def test_int32_minimum_prints_garbage_digits_on_i386(run):
    script = "set e:int32 -2147483648\nshow e\n"
    assert run(script, profile="pcbios").console == "e:int32 = -./,),(-*,(\n"
    assert run(script, profile="efi").console == "e:int32 = -2147483648\n"


def test_ipv6_type_unsupported_without_ipv6(run):
    result = run("set b:ipv6 ::1 || echo ${errno}\n", profile="pcbios")
    assert (
        result.console
        == 'Could not store "b": Operation not supported (https://ipxe.org/3c0c2003)\n0x3c0c2003\n'
    )


def test_ipv6_parse_knows_no_ipv4_tail(run):
    result = run("set b:ipv6 ::ffff:10.0.2.15 || echo ${errno}\n", profile="efi")
    assert result.console.endswith("(https://ipxe.org/1c066082)\n0x1c066082\n")


def test_bad_base64_fails_in_base64_c(run):
    assert run("set b:base64 !!!! || echo ${errno}\n", profile="efi").console.endswith("0x1c102082\n")


def test_efi_console_shows_control_characters_as_question_marks(run):
    script = "set v:ipv4 1.2.3.4\nshow v:string\n"
    assert run(script, profile="efi").console == "v:string = ????\n"
    assert run(script, profile="pcbios").console == "v:string =\n"  # the serial terminal shows nothing


def test_empty_setting_name_is_never_found(run):
    result = run("set net0/ x\nshow net0/ || echo ${errno}\necho [${net0/}]\n", profile="efi")
    assert (
        result.console
        == 'Could not find "": No such file or directory (https://ipxe.org/2d0c208e)\n0x2d0c208e\n[]\n'
    )


def test_missing_network_device_status(run):
    result = run("ifstat nosuch || echo ${errno}\nifconf --configurator x || echo ${errno}\n", profile="efi")
    assert (
        result.console
        == '"nosuch": no such network device\n0x2c162087\n"x": no such configurator\n0x3c162083\n'
    )


def test_san_device_with_unknown_scheme(run):
    result = run("sanhook --drive 0x81 foo:bar || echo ${errno}\n", profile="debian-12-efi")
    assert (
        result.console
        == "Could not open SAN device: Operation not supported (http://ipxe.org/3c092083)\n0x3c092083\n"
    )


def test_rare_command_messages(run):
    script = (
        "certstat --subject s || echo ${errno}\ncolour 9 || echo ${errno}\ncpair 8 || echo ${errno}\n"
        "param --params p k || echo ${errno}\nvcreate --tag 5 x || echo ${errno}\n"
    )
    assert run(script, profile="efi").console.splitlines() == [
        '"s" : no such certificate',
        "0x2d4fe08e",
        "Could not define colour: Invalid argument (https://ipxe.org/1c1e2082)",
        "0x1c1e2082",
        "Could not define colour pair: Invalid argument (https://ipxe.org/1c1d2082)",
        "0x1c1d2082",
        '"p": no such parameter list',
        "0x2d16208e",
        '"x": no such network device',
        "0x2c162087",
    ]


def test_predefined_settings_per_build(run):
    script = (
        "show cpuvendor || echo none\nshow hwaddr\nshow ip6\nshow smbios/1.4.0\nshow net0.dhcp/53:uint8\n"
    )
    upstream = run(script, profile="efi").console.splitlines()
    assert upstream == [
        "cpuid/cpuvendor:string = AuthenticAMD",
        "net0/hwaddr:hex = 52:54:00:12:34:56",
        "net0.ndp.0/ip6:ipv6 = fec0::5054:ff:fe12:3456",
        "smbios/manufacturer:string = QEMU",
        "net0.dhcp/53:uint8 = 0x5",
    ]
    assert run(script, profile="debian-12-efi").console.splitlines()[1] == "none"


def test_settings_the_upstream_builds_lack(run):
    script = "set t/uid 5\nshow t/uid\nset t/ntp 1.2.3.4\nshow t/ntp\n"
    assert run(script, profile="efi").console == "t/uid:string = 5\nt/ntp:ipv4 = 1.2.3.4\n"
    assert run(script, profile="pcbios").console == "t/uid:string = 5\nt/ntp:string = 1.2.3.4\n"


# Classes found by the second round of outside-style cases (fmt_*, digest_files, ...; all three builds)


def test_uristring_sign_extends_high_bytes(run):
    script = "set b:int8 -5\necho ${b:uristring}\n"
    for profile in ("debian-12-efi", "efi", "pcbios"):
        assert run(script, profile=profile).console == "%FFFFFFFB\n"


def test_dnssl_that_does_not_decode_fails(run):
    script = "set a:ipv4 65.66.67.68\necho [${a:dnssl}]\nshow a:dnssl || echo ${errno}\n"
    assert run(script, profile="efi").console == (
        '[]\nCould not find "a": Invalid argument (https://ipxe.org/1c116082)\n0x1c116082\n'
    )
    assert run(script, profile="pcbios").console.endswith("0x1c116002\n")
    good = "set d:hex 01:61:00:00:01:62:c0:00\necho [${d:dnssl}]\n"  # padding, then a pointer back
    assert run(good, profile="efi").console == "[a b.a]\n"


def test_integer_longer_than_a_long_is_erange(run):
    script = "set g abcdef\necho [${g:int32}] [${g:uint32}]\nshow g:int32 || echo ${errno}\n"
    assert (
        run(script, profile="efi").console
        == "[107075202213222] [0x616263646566]\ng:int32 = 107075202213222\n"
    )
    assert run(script, profile="pcbios").console == (
        '[] []\nCould not find "g": Result too large (https://ipxe.org/460c2001)\n0x460c2001\n'
    )


def test_digest_set_stores_hexraw(run):
    run.file("hello.txt", "hello\n")
    result = run("imgfetch hello.txt\nmd5sum --set x hello.txt\nshow x\n", profile="efi")
    assert result.console.splitlines()[-1] == "x:hexraw = " + hashlib.md5(b"hello\n").hexdigest()
