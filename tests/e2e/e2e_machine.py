"""QEMU machines on the lab's tap port, with their serial console read without pause by a thread.

Firmware kinds (see shared/reference/RUNNING-IPXE.md):
  seabios-ipxe  SeaBIOS + QEMU's iPXE NIC ROM (an iPXE client, arch 0)
  seabios-lkrn  SeaBIOS booting Debian's ipxe.lkrn with a script on its command line (a stand-in
                for a plain BIOS PXE ROM: the script chooses what the client says about itself)
  ovmf-pxe      OVMF's native EDK2 PXE, NIC ROM disabled (a genuine non-iPXE client, arch 7)
  ovmf-ipxe     OVMF + QEMU's iPXE EFI NIC ROM
No KVM: it fails on these machines, so QEMU runs with software emulation (TCG).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

from e2e_lab import TAP, Lab
from e2e_tinylinux import TinyLinux

OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
IPXE_LKRN = "/usr/lib/ipxe/ipxe.lkrn"
FIRMWARES = ("seabios-ipxe", "seabios-lkrn", "ovmf-pxe", "ovmf-ipxe")


class SerialReader(threading.Thread):
    """Drains a pipe into memory and a log file; waiters are woken on every chunk."""

    def __init__(self, pipe: subprocess.Popen[bytes], log_path: Path) -> None:
        super().__init__(daemon=True)
        assert pipe.stdout is not None
        self._stream = pipe.stdout
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed when the stream ends
        self._data = bytearray()
        self._cond = threading.Condition()
        self.closed = False

    def run(self) -> None:
        fd = self._stream.fileno()
        while True:
            chunk = os.read(fd, 65536)
            with self._cond:
                if not chunk:
                    self.closed = True
                    self._cond.notify_all()
                    break
                self._data += chunk
                self._cond.notify_all()
            self._log.write(chunk)
            self._log.flush()
        self._log.close()

    @property
    def text(self) -> str:
        with self._cond:
            return self._data.decode("latin-1")

    def wait_for(self, needle: str, timeout: float) -> bool:
        """True once NEEDLE appeared; False at the deadline or when the console closed without it."""
        raw = needle.encode("latin-1")
        deadline = time.monotonic() + timeout
        with self._cond:
            while raw not in self._data:
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    return raw in self._data
                self._cond.wait(min(left, 0.5))
            return True


class Machine:
    """One QEMU run. Start it, wait for text on its serial console, read what it printed, stop it."""

    def __init__(
        self,
        lab: Lab,
        firmware: str,
        label: str,
        mac: str = "52:54:00:e2:e0:01",
        lkrn_script: str | None = None,
        memory_mb: int = 512,
    ) -> None:
        if firmware not in FIRMWARES:
            raise ValueError(f"unknown firmware {firmware!r}; one of {', '.join(FIRMWARES)}")
        self.lab = lab
        self.firmware = firmware
        self.label = label
        self.mac = mac
        self.lkrn_script = lkrn_script
        self.memory_mb = memory_mb
        self.proc: subprocess.Popen[bytes] | None = None
        self.serial: SerialReader | None = None
        self.started_at = 0.0

    def argv(self) -> list[str]:
        rom = "" if self.firmware in ("seabios-lkrn", "ovmf-pxe") else None
        nic = f"virtio-net-pci,netdev=n0,mac={self.mac}"
        if self.firmware != "seabios-lkrn":  # -kernel takes boot index 0 itself
            nic += ",bootindex=0"
        if rom is not None:
            nic += ",romfile="
        argv = [
            "qemu-system-x86_64",
            "-machine", "pc,accel=tcg",
            "-m", str(self.memory_mb),
            "-nodefaults", "-display", "none", "-vga", "none",
            "-serial", "stdio", "-monitor", "none",
            "-netdev", f"tap,id=n0,ifname={TAP},script=no,downscript=no",
            "-device", nic,
        ]  # fmt: skip
        if self.firmware.startswith("ovmf"):
            vars_copy = self.lab.workdir / f"{self.label}-OVMF_VARS.fd"
            shutil.copyfile(OVMF_VARS, vars_copy)
            argv += [
                "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}",
                "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}",
            ]  # fmt: skip
        elif self.firmware == "seabios-lkrn":
            argv += ["-kernel", IPXE_LKRN, "-append", self.lkrn_script or ""]
        else:
            argv += ["-boot", "order=n"]
        return argv

    def start(self) -> Machine:
        self.started_at = time.monotonic()
        self.proc = self.lab.spawn(self.label, self.argv(), stdout=subprocess.PIPE)
        self.serial = SerialReader(self.proc, self.lab.workdir / f"{self.label}-serial.log")
        self.serial.start()
        return self

    def wait_for(self, needle: str, timeout: float) -> bool:
        assert self.serial is not None, "start() first"
        return self.serial.wait_for(needle, timeout)

    @property
    def console(self) -> str:
        return self.serial.text if self.serial else ""

    def elapsed(self) -> float:
        return time.monotonic() - self.started_at

    def wait_exit(self, timeout: float) -> int | None:
        assert self.proc is not None
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        if self.proc is not None:
            self.lab.stop(self.proc, grace=2)
        if self.serial is not None:
            self.serial.join(5)

    def console_tail(self, chars: int = 3000) -> str:
        """The end of the console with ANSI sequences removed, for failure messages."""
        text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", self.console)
        return text[-chars:]


def boot_to_linux(
    machine: Machine, linux: TinyLinux, timeout: float, logs: tuple[str, ...] = ("serve",)
) -> str:
    """Start MACHINE, wait for the tiny Linux, return its kernel command line; fail with what was seen.

    The failure message carries the console's end and the end of each named lab log (the server's), so a
    red test says how far the boot got.
    """
    if machine.proc is None:
        machine.start()
    if not machine.wait_for(linux.up_line, timeout):
        parts = [
            f"{machine.firmware} did not reach the tiny Linux within {timeout:.0f}s "
            f"(QEMU {'exited ' + str(machine.proc.returncode) if machine.proc and machine.proc.poll() is not None else 'still running'})",
            "--- serial console (end) ---",
            machine.console_tail(),
            "--- QEMU ---",
            machine.lab.log_text(machine.label)[-1000:],
        ]
        for label in logs:
            parts += [f"--- {label} log (end) ---", machine.lab.log_text(label)[-4000:]]
        machine.stop()
        raise AssertionError("\n".join(parts))
    print(f"{machine.label} ({machine.firmware}): tiny Linux up after {machine.elapsed():.1f}s")
    machine.wait_for(f"TINYLINUX-{linux.token} END", 15)
    match = re.search(re.escape(linux.cmdline_prefix) + r"([^\r\n]*)", machine.console)
    machine.wait_exit(15)
    machine.stop()
    if match is None:
        raise AssertionError(f"the tiny Linux came up but printed no command line:\n{machine.console_tail()}")
    return match.group(1)
