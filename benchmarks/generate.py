"""Generated scripts for the benchmarks: a large, realistic menu script of a given length."""

from __future__ import annotations


def menu_script(lines: int = 10_000) -> str:
    """An installer-menu style script of about ``lines`` lines: menus, items, labels, kernels."""
    out = ["#!ipxe", "set base http://boot.lab.example/images", "dhcp || goto failed", ""]
    n = 0
    section = 3 + 6 + 1 + 6 * 4 + 1  # lines one menu section takes
    while len(out) + section <= lines - 3:
        out.append(f":menu{n}")
        out.append(f"menu Menu {n} for ${{hostname}} (${{net0/mac:hexhyp}})")
        out.append("item --gap -- Installers")
        for k in range(6):
            out.append(f"item --key {k} os{n}_{k} Operating system {n}.{k}")
        out.append(f"choose --default os{n}_0 --timeout 5000 target && goto ${{target}} || goto menu{n}")
        for k in range(6):
            out.append(f":os{n}_{k}")
            out.append(f"kernel ${{base}}/os{n}/{k}/vmlinuz console=ttyS0 ip=dhcp # kernel {k}")
            out.append(f"initrd ${{base}}/os{n}/{k}/initrd.img")
            out.append(f"boot || goto menu{n}")
        out.append("")
        n += 1
    while len(out) < lines - 3:
        out.append("# padding")
    out += [":failed", "echo Boot failed: ${errno}", "shell"]
    return "\n".join(out) + "\n"


def boot_tree(files: int = 200, lines: int = 30_000) -> dict[str, str]:
    """A netboot.xyz-shaped tree of ``files`` scripts and about ``lines`` lines: ``menu.ipxe`` sets
    the shared settings and dispatches with ``chain ${menu}.ipxe``; each sub-menu chains its leaf
    scripts by name, and every script reads settings its parents set and leaves errors to them."""
    per_file = max(20, lines // files)
    subs = max(1, (files - 1) // 10)
    out: dict[str, str] = {}
    menu = [
        "#!ipxe",
        "set base-url http://boot.lab.example",
        "set space:hex 20:20",
        "set space ${space:string}",
    ]
    menu += [":main", "menu Main menu"] + [f"item sub{i} ${{space}} Section {i}" for i in range(subs)]
    menu += ["choose menu || goto main", "chain ${menu}.ipxe || goto error", "goto main", ":error"]
    menu += ["echo Error, press a key", "prompt", "goto main"]
    out["menu.ipxe"] = "\n".join(_pad(menu, per_file)) + "\n"
    leaves = files - 1 - subs
    for i in range(subs):
        mine = [f"leaf{i}_{k}" for k in range(leaves // subs + (1 if i < leaves % subs else 0))]
        sub = ["#!ipxe", f":sub{i}", f"menu Section {i} (${{arch}})"]
        sub += [f"item {name} ${{space}} {name}" for name in mine] + ["item back Back"]
        sub += [f"choose --default {mine[0] if mine else 'back'} os || exit 0", "goto ${os}"]
        for name in mine:
            sub += [f":{name}", f"chain {name}.ipxe || goto error", f"goto sub{i}"]
        sub += [":back", "exit 0"]
        out[f"sub{i}.ipxe"] = "\n".join(_pad(sub, per_file)) + "\n"
        for name in mine:
            leaf = ["#!ipxe", f"echo Booting {name} from ${{base-url}}"]
            leaf += [
                f"kernel ${{base-url}}/{name}/vmlinuz initrd=initrd.img console=ttyS0 || goto error",
                f"initrd ${{base-url}}/{name}/initrd.img || goto error",
                "boot || goto error",
            ]
            out[f"{name}.ipxe"] = "\n".join(_pad(leaf, per_file)) + "\n"
    return out


def _pad(lines: list[str], total: int) -> list[str]:
    """Fill a script to ``total`` lines with realistic comment and echo lines before its code."""
    filler = []
    while len(lines) + len(filler) < total:
        n = len(filler)
        filler.append(f"# note {n}: keep the mirror list in sync" if n % 2 else f"echo step {n} ${{space}}")
    return lines[:1] + filler + lines[1:]
