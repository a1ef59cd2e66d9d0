"""Image commands (src/hci/commands/image_cmd.c)."""

from __future__ import annotations

from typing import Any

from ipxescript.sim import errors
from ipxescript.sim.commands.registry import command
from ipxescript.sim.machine import Simulator
from ipxescript.sim.options import Parsed
from ipxescript.sim.status import Stop


def family_of(sim: Simulator, name: str) -> str:
    family = sim.specs[name].get("family")
    return str(family) if family else name


@command(
    "imgfetch", "module", "initrd", "kernel", "imgselect", "imgload", "chain", "imgexec", "boot", "imgargs"
)
def imgsingle(sim: Simulator, p: Parsed, argv0: str) -> int:
    family = family_of(sim, argv0)
    name_opt = p.options.get("name")
    if p.args:
        if family == "imgfetch":
            status, image = sim.download(
                p.args[0], name_opt, progress=not p.options.get("quiet"), timeout=p.options.get("timeout", 0)
            )
        else:
            status, image = sim.acquire(
                p.args[0], name_opt, progress=not p.options.get("quiet"), timeout=p.options.get("timeout", 0)
            )
        if status:
            return status
    else:
        image = sim.registry.selected()
        if image is None:
            sim.out("No image selected\n")
            return 0
    assert image is not None
    if family == "imgargs":
        image.cmdline = None
    if name_opt is not None:
        image.name = name_opt
    if len(p.args) > 1:
        image.cmdline = " ".join(p.args[1:])
    if p.options.get("autofree"):
        image.autofree = True
    if family == "imgselect":
        if image.verified and image.type is None:
            if sim.profile.legacy:
                for other in sim.registry.images:
                    other.selected = False
            status = sim.err(errors.IMAGE_NOT_EXECUTABLE)
            sim.out(f"Could not select: {sim.strerror(status)}\n")
            return status
        sim.registry.select(image)
        return 0
    if family == "imgexec":
        if p.options.get("replace"):
            status = replace(sim, image)
        else:
            status = sim.image_exec(image)
        if status:
            sim.out(f"Could not boot: {sim.strerror(status)}\n")
        return status
    return 0


def replace(sim: Simulator, image: Any) -> int:
    if not sim.engine.frames:
        return sim.err(errors.REPLACE_NOT_IN_SCRIPT)
    if image.verified and image.type is None:
        return sim.err(errors.IMAGE_NOT_EXECUTABLE)
    sim.engine.frames[-1].image.replacement = image
    sim.engine.shell_stop(Stop.SEQUENCE)
    return 0


@command("imgstat", "imgfree")
def imgmulti(sim: Simulator, p: Parsed, argv0: str) -> int:
    def action(image: Any) -> None:
        if argv0 == "imgstat":
            sim.out(sim.registry.imgstat_line(image, sim.profile.legacy) + "\n")
        else:
            sim.registry.unregister(image)

    if not p.args:
        for image in list(sim.registry.images):
            action(image)
        return 0
    for name in p.args:
        found = sim.registry.find(name)
        if found is None:
            status = sim.err(errors.NO_SUCH_IMAGE)
            sim.out(f'"{name}": no such image\n')
            return status
        action(found)
    return 0


@command("shim")
def shim(sim: Simulator, p: Parsed, argv0: str) -> int:
    """shim_cmd.c (EFI builds; on BIOS the command is inert): acquire the image unless the selected
    one can be loaded by EFI itself, then tag it (the only one) as the shim and hide it."""
    selected = sim.registry.selected()
    image = None
    if p.args and not (selected is not None and selected.type == "EFI"):
        status, image = sim.acquire(
            p.args[0], None, progress=not p.options.get("quiet"), timeout=p.options.get("timeout", 0)
        )
        if status:
            return status
    for other in sim.registry.images:
        other.shim = False
    if image is not None:
        image.shim = image.hidden = True
    return 0
