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
