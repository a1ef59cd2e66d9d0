"""Rebuild ipxescript/catalog/catalog.json from the reference facts in ../shared/reference/.

The catalog is data: the parser, linter, simulator, language server and docs all read this one file.
Run: python tools/build_catalog.py [REFERENCE_DIR]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REF = (
    Path(sys.argv[1])
    if len(sys.argv) > 1
    else next(
        (p / "shared" / "reference" for p in ROOT.parents if (p / "shared" / "reference").is_dir()),
        ROOT.parent / "shared" / "reference",
    )
)
# What each profile's real firmware printed (tests/oracle/expected/PROFILE/, recorded from the build by
# `python -m tests.oracle.record --profile PROFILE`). Where these disagree with the reference, the build
# wins and the profile's "firmware_notes" say what was changed.
RECORDINGS = ROOT / "tests" / "oracle" / "expected"


def recorded_console(profile: str, case: str) -> str | None:
    path = RECORDINGS / profile / f"{case}.json"
    return str(json.loads(path.read_text())["console"]) if path.exists() else None


# Settings whose value always exists when the build has them: `show NAME` failing on this machine
# means the build lacks the setting (a DHCP option or SMBIOS string may simply be unset instead).
ALWAYS_VALUED = {"linktype", "hwaddr", "cpuvendor", "cpumodel", "cwuri", "cwduri", "buildarch", "platform"}


def apply_settings(
    name: str, profile: dict[str, object], settings: list[dict[str, object]], notes: list[str]
) -> None:
    """Predefined settings as the build shows them (cases predefined_types and predefined_show).

    `set t/NAME value` + `show t/NAME` shows the type the build gives NAME: `string` for a typed
    setting means the build does not know the name. `show NAME` of a setting that always has a value
    failing, or `isset ${dmesg}` failing, means the build lacks it; a setting shown is present."""
    absent = set(profile.get("absent_settings", []))  # type: ignore[call-overload]
    known = {str(s["name"]): str(s["type"]) for s in settings if "generic" in str(s["scope"])}
    typed = recorded_console(name, "predefined_types")
    if typed is not None:
        shown = dict(re.findall(r"^t/([\w.-]+):(\w+) = ", typed, re.M))
        for setting, kind in shown.items():
            expected = known.get(setting)
            if expected is None or (kind == expected == "string"):
                continue  # a string shows as a string whether the build knows the name or not
            if kind == expected:
                if setting in absent:
                    absent.discard(setting)
                    notes.append(f"{setting}: the build knows it ({kind}); the reference says it is absent")
            elif kind == "string":
                if setting not in absent:
                    absent.add(setting)
                    notes.append(
                        f"{setting}: not in this build (`show` gives it no type, the reference {expected})"
                    )
            else:
                overrides = profile.setdefault("setting_type_overrides", {})
                overrides[setting] = kind  # type: ignore[index]
                notes.append(f"{setting}: the build's type is {kind}, the reference's {expected}")
    shown_text = recorded_console(name, "predefined_show")
    if shown_text is not None:
        present = set(re.findall(r"^(?:[\w.]+/)?([\w-]+):\w+ = ", shown_text, re.M))
        present |= set(re.findall(r"^([\w-]+) is set$", shown_text, re.M))
        missing = set(re.findall(r"^no ([\w-]+)$", shown_text, re.M))
        for setting in sorted(present & absent):
            absent.discard(setting)
            notes.append(f"{setting}: `show` finds it on this build; the reference says it is absent")
        lacking = missing & ALWAYS_VALUED
        if "dmesg" not in present:
            lacking.add("dmesg")
        for setting in sorted(lacking - absent):
            absent.add(setting)
            notes.append(f"{setting}: `show` does not find it on this build (the build lacks it)")
    if absent:
        profile["absent_settings"] = sorted(absent)


def apply_firmware(name: str, profile: dict[str, object], settings: list[dict[str, object]]) -> None:
    """Take the command list (`help`), `${version}` and IPv6 support from the build's recordings."""
    notes: list[str] = []
    helped = recorded_console(name, "help_list")
    if helped is not None:
        listed = [w for line in helped.split("\n") if line.startswith("  ") for w in line.split()]
        before = list(profile["commands"])  # type: ignore[call-overload]
        for gone in sorted(set(before) - set(listed)):
            notes.append(f"{gone}: in the reference's default build, not in this build's `help`")
        for extra in sorted(set(listed) - set(before)):
            notes.append(f"{extra}: in this build's `help`, not in the reference's default build")
        profile["commands"] = listed
    builtins = recorded_console(name, "builtins")
    if builtins is not None:
        version = builtins.split("\n")[0].split(" ", 2)[2]
        if version != profile["version"]:
            notes.append(f"version: the build says {version!r}, the reference {profile['version']!r}")
            profile["version"] = version
    usages = recorded_console(name, "all_usages")
    if usages is not None:
        # a command in `help` whose `--help` prints nothing and succeeds accepts anything, does nothing
        inert = [c for c in profile["commands"] if f"  {c}" not in usages and f"{c}: 0x" not in usages]  # type: ignore[attr-defined]
        inert = [c for c in inert if c != "help"]
        if inert:
            profile["inert_commands"] = inert
            notes += [
                f"{c}: `{c} --help` prints nothing and succeeds (the command does nothing)" for c in inert
            ]
    apply_settings(name, profile, settings, notes)
    route = recorded_console(name, "route_table")
    if route is not None:
        profile["ipv6"] = "/64" in route
        if not profile["ipv6"]:
            notes.append("ipv6: `route` lists no IPv6 address (the build has no IPv6)")
    if notes:
        profile["firmware_notes"] = notes


# Commands whose presence depends on more than their build switch (ipxe-language.md §12 and the
# commands' notes): not on x86 EFI builds / only with subsystems that default builds lack.
NOT_ON_X86 = {"fdt", "imgextract"}
# Dropped from BIOS builds by src/config/general.h (ipxe-language.md §12).
NOT_ON_BIOS = {
    "certfree", "certstat", "certstore", "console", "colour", "cpair", "md5sum", "sha1sum", "sha224sum",
    "sha256sum", "sha384sum", "sha512sum", "ntp", "param", "params", "pciscan", "usbscan", "vcreate",
    "vdestroy",
}  # fmt: skip
# DEBIAN-12-BUILD.md §1.2: ipxe.efi's command table, in table order.
DEBIAN_12_EFI = (
    "config cpuid dhcp pxebs ifopen ifclose ifstat ifconf imgfetch module initrd kernel chain imgselect "
    "imgload imgargs imgexec boot imgstat imgfree login menu item choose show set clear read inc reboot "
    "route sanhook sanboot sanunhook prompt goto shell help sync autoboot sleep iseq isset exit echo "
    "ibstat iwstat iwlist"
).split()
SAN_SCHEMES = ["iscsi", "aoe", "fcp", "ib_srp"]
# URI scheme -> the build switch that compiles its opener in (src/config/general.h: DOWNLOAD_PROTO_*,
# SANBOOT_PROTO_*; tftm and mtftp are openers of src/net/udp/tftp.c, built with DOWNLOAD_PROTO_TFTP)
SCHEME_BUILD_MACROS = {
    "http": "DOWNLOAD_PROTO_HTTP",
    "https": "DOWNLOAD_PROTO_HTTPS",
    "tftp": "DOWNLOAD_PROTO_TFTP",
    "tftm": "DOWNLOAD_PROTO_TFTP",
    "mtftp": "DOWNLOAD_PROTO_TFTP",
    "ftp": "DOWNLOAD_PROTO_FTP",
    "x-slam": "DOWNLOAD_PROTO_SLAM",
    "nfs": "DOWNLOAD_PROTO_NFS",
    "file": "DOWNLOAD_PROTO_FILE",
    "iscsi": "SANBOOT_PROTO_ISCSI",
    "aoe": "SANBOOT_PROTO_AOE",
    "ib_srp": "SANBOOT_PROTO_IB_SRP",
    "fcp": "SANBOOT_PROTO_FCP",
}
IMAGE_COMMANDS = "imgfetch module initrd kernel imgselect imgload imgargs chain imgexec boot".split()


def main() -> None:
    commands = json.loads((REF / "ipxe-commands.json").read_text())
    settings = json.loads((REF / "ipxe-settings.json").read_text())
    cmds = commands["commands"]
    default_on = [c["name"] for c in cmds if c["build_config"]["enabled_by_default"]]
    all_types = [t["name"] for t in settings["types"]]
    profiles = {
        "efi": {
            "description": "upstream iPXE (0ab2277c), EFI x86_64 (ipxe.efi): the default profile",
            "platform": "efi",
            "buildarch": "x86_64",
            "version": "1.21.1+ (g0ab2277c)",
            "commands": sorted(n for n in default_on if n not in NOT_ON_X86),
            "schemes": ["http", "https", "tftp", "tftm", "mtftp", "data", "file", *SAN_SCHEMES],
            "setting_types": all_types,
            "empty_integer_is_zero": False,
            "error_url": "https://ipxe.org/",
            "key_offset": 0x110000,
        },
        "pcbios": {
            "description": "upstream iPXE (0ab2277c), BIOS (undionly.kpxe, ipxe.lkrn)",
            "platform": "pcbios",
            "buildarch": "i386",
            "version": "1.21.1+ (g0ab2277c)",
            "commands": sorted(n for n in default_on if n not in NOT_ON_X86 | NOT_ON_BIOS),
            "schemes": ["http", "tftp", "tftm", "mtftp", "data", *SAN_SCHEMES],
            "setting_types": all_types,
            "empty_integer_is_zero": False,
            "error_url": "https://ipxe.org/",
            "key_offset": 0x110000,
        },
        "debian-12-efi": {
            "description": "Debian 12's packaged iPXE 1.0.0+git-20190125.36a4c85-5.1, /usr/lib/ipxe/ipxe.efi",
            "platform": "efi",
            "buildarch": "x86_64",
            "version": "1.0.0+git-20190125.36a4c85-5.1",
            "commands": DEBIAN_12_EFI,
            "schemes": [
                "file",
                "http",
                "iscsi",
                "nfs",
                "tcp",
                "mtftp",
                "tftm",
                "tftp",
                "udp",
                "ib_srp",
                "aoe",
            ],
            "setting_types": [t for t in all_types if t != "guid"],
            "absent_settings": [
                "cwuri",
                "cwduri",
                "cpuvendor",
                "cpumodel",
                "cert",
                "crosscert",
                "privkey",
                "trust",
                "syslog",
                "syslog6",
                "syslogs",
                "ntp",
                "peerdist",
                "peerhost",
                "dmesg",
                "keymap",
                "linktype",
                "memsize",
                "static-routes",
                "sysmac",
                "vram",
            ],  # fmt: skip
            "empty_integer_is_zero": True,
            "error_url": "http://ipxe.org/",
            "key_offset": 0,
            # DEBIAN-12-BUILD.md §1.3: options upstream has and this build lacks, and renamed usages.
            "missing_options": {
                **{c: ["--quiet"] for c in IMAGE_COMMANDS},
                "show": ["--quiet"],
                "read": ["--timeout"],
                "choose": ["--retimeout"],
                "item": ["--secret", "--form"],
                "ifconf": ["--timeout"],
                "dhcp": ["--timeout"],
                "reboot": ["--setup"],
                "sanboot": ["--extra", "--label", "--uuid"],
            },
            "usage_overrides": {"item": "[<label> [<text>]]"},
        },
    }
    for name, profile in profiles.items():
        apply_firmware(name, profile, settings["settings"])
    catalog = {
        "about": (
            "Facts about the iPXE script language, taken from ../shared/reference/ (iPXE "
            f"{commands['ipxe_commit']}, and Debian 12's build for the debian-12-efi profile). "
            "Generated by tools/build_catalog.py; edit the generator, not this file."
        ),
        "ipxe_commit": commands["ipxe_commit"],
        "conventions": commands["conventions"],
        "commands": cmds,
        "setting_name_syntax": settings["name_syntax"],
        "types": settings["types"],
        "blocks": settings["blocks"],
        "settings": settings["settings"],
        "settings_notes": settings["notes"],
        "builtin_settings": ["errno", "buildarch", "platform", "version", "unixtime", "cwuri", "cwduri"],
        "profiles": profiles,
        "default_profile": "efi",
        "scheme_build_macros": SCHEME_BUILD_MACROS,
    }
    out = ROOT / "ipxescript" / "catalog" / "catalog.json"
    out.write_text(json.dumps(catalog, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {out} ({len(cmds)} commands, {len(settings['settings'])} settings)")


if __name__ == "__main__":
    main()
