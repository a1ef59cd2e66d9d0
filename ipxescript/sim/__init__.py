"""ipxesim: run iPXE scripts as the firmware does (settings, expansion, menus, images, outcomes)."""

from ipxescript.sim.run import RunOptions, exit_code, simulate

__all__ = ["RunOptions", "exit_code", "simulate"]
