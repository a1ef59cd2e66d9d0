"""Run case scripts on a real iPXE build (builds.py: `ipxe.efi` under OVMF or `ipxe.lkrn` under SeaBIOS,
QEMU TCG) in one boot and cut out each case.

One boot serves many cases: QEMU's user network hands iPXE a generated driver script by TFTP, and the
driver chains each case in turn between marker lines:

    echo @@ORACLE-BEGIN NAME
    chain --autofree tftp://10.0.2.2/NAME.ipxe && echo @@ORACLE-END NAME 0 || echo @@ORACLE-END NAME ${errno}
    imgfree || ; menu --delete || ; clear SETTING || ...

How a case's console is cut out of the boot transcript (after `\\r`/`\\b` are applied and line ends are
stripped, see vt.py):

* it starts after the line `@@ORACLE-BEGIN NAME` and the driver's download line for the case
  (`tftp://10.0.2.2/NAME.ipxe... ok`), which belong to the driver;
* it ends where `@@ORACLE-END NAME` starts; text before it on the same line is a partial last line
  of the case (so `echo -n x` at the end gives console `x`, with no newline);
* when the case failed, the driver's `chain` prints `Could not boot: <error>` as its last line:
  that line is the driver's, not the case's, and is cut off;
* full-screen drawings (menus) are not console text; a partial line before one is ended there.

The status is what the driver's `${errno}` showed after a failed chain, or 0.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .builds import BUILDS, DEFAULT_PROFILE, OVMF_CODE, OVMF_VARS, Build
from .cases import CASES_DIR, Case, stage_cases
from .keys import key_bytes
from .vt import Decoder

DRIVER_NAME = "oracle-driver.ipxe"
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)

READY, DONE = "@@ORACLE-READY", "@@ORACLE-DONE"
BOOT_TIMEOUT = 180.0  # QEMU start to the driver's first line; ~13 s normally, far more on a busy machine
SNAP_QUIET = 0.35  # output quiet this long = the drawing is complete and waits for a key
KEY_QUIET = 0.6  # output quiet this long before a key is sent (> SNAP_QUIET: the screen is taken first)
# After a key, the screen is taken and the next key sent only once the firmware reacted (printed
# something), or after this long for keys that change nothing. A loaded machine can take 0.7 s.
REACT_MAX = 2.0
# OVMF's terminal holds a lone ESC ~2 s to see whether a sequence follows; a key sent meanwhile merges
# with it. So after ESC, wait for the firmware to react (any output), at most this long.
ESC_PAUSE = 4.0


GARBLED = "the serial output was garbled (bytes lost) during this case"


class FirmwareError(RuntimeError):
    pass


@dataclass
class Transcript:
    """What one case did on the firmware."""

    name: str
    console: str
    screens: list[list[str]]
    status: int
    keys: str = ""
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Transcript:
        return cls(**data)  # type: ignore[arg-type]


def available(build: Build = BUILDS[DEFAULT_PROFILE]) -> list[str]:
    """What is missing to run the firmware here (empty when everything is installed)."""
    return build.missing()


def driver_script(cases: list[Case]) -> str:
    lines = ["#!ipxe", f"echo {READY}"]
    for case in cases:
        lines += [
            f"echo @@ORACLE-BEGIN {case.name}",
            f"chain --autofree {case.url} && echo @@ORACLE-END {case.name} 0 || "
            f"echo @@ORACLE-END {case.name} ${{errno}}",
            "imgfree ||",
            "menu --delete ||",
        ]
        lines += [f"menu --delete --name {m} ||" for m in case.menus]
        lines += [f"clear {s} ||" for s in case.settings]
        lines += case.cleanup
    lines += [f"echo {DONE}", ""]
    return "\n".join(lines)


class Firmware:
    """One QEMU boot of a build with the serial console on a pipe read by its own thread."""

    def __init__(
        self, tftp_root: Path, bootfile: str, workdir: Path, build: Build = BUILDS[DEFAULT_PROFILE]
    ) -> None:
        self.tftp_root, self.bootfile, self.workdir, self.build = tftp_root, bootfile, workdir, build
        self.decoder = Decoder(enable_after=READY)
        self._proc: subprocess.Popen[bytes] | None = None
        self._out_fd: int | None = None
        self._in_fd: int | None = None
        self._stopping = False
        self._reader: threading.Thread | None = None
        self._seen_session = 0
        self._pending_snapshot = False
        self._bytes_at_key = 0
        self._key_time = 0.0
        self.sent_keys: dict[str, list[str]] = {}
        self.chunks: list[tuple[float, bytes]] = []

    def _machine_args(self) -> list[str]:
        if self.build.boot == "lkrn":
            # SeaBIOS loads the lkrn as a Linux kernel; its serial console is the output
            return ["-kernel", str(self.build.image)]
        esp = self.workdir / "esp"
        (esp / "EFI" / "BOOT").mkdir(parents=True)
        shutil.copy(self.build.image, esp / "EFI" / "BOOT" / "BOOTX64.EFI")
        vars_copy = self.workdir / "vars.fd"
        shutil.copy(OVMF_VARS, vars_copy)
        return [
            "-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
            "-drive", f"if=pflash,format=raw,file={vars_copy}",
            "-drive", f"file=fat:rw:{esp},format=raw,if=none,id=d0",
            "-device", "ide-hd,drive=d0,bootindex=0",
        ]  # fmt: skip

    def start(self) -> None:
        machine = self._machine_args()
        serial = self.workdir / "serial"
        os.mkfifo(f"{serial}.in")
        os.mkfifo(f"{serial}.out")
        # A pipe chardev, not a socket: QEMU writes the console a byte at a time and a unix socket's
        # per-write overhead fills its buffer within one menu drawing, after which OVMF drops bytes.
        # The pipe holds 1 MiB of real data. Opening both ends read-write never blocks.
        self._out_fd = os.open(f"{serial}.out", os.O_RDWR)
        fcntl.fcntl(self._out_fd, F_SETPIPE_SZ, 1 << 20)
        self._in_fd = os.open(f"{serial}.in", os.O_RDWR)
        cmd = [
            "qemu-system-x86_64",
            "-machine", "pc", "-m", "256", "-display", "none", "-nodefaults", "-vga", "none",
            *machine,
            "-netdev", f"user,id=n0,tftp={self.tftp_root},bootfile={self.bootfile}",
            # PCI slot 3 as on a default QEMU machine (VGA takes slot 2): ${net0/busloc} = 0x18
            "-device", "virtio-net-pci,netdev=n0,romfile=,addr=3",
            "-chardev", f"pipe,id=s0,path={serial}",
            "-serial", "chardev:s0", "-monitor", "none",
        ]  # fmt: skip
        with open(self.workdir / "qemu.log", "wb") as log:
            self._proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self._reader = threading.Thread(target=self._read_serial, name="oracle-serial", daemon=True)
        self._reader.start()

    def _read_serial(self) -> None:
        # Never pause here for long: the console must be drained while the firmware writes it.
        fd = self._out_fd
        assert fd is not None
        while not self._stopping:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                continue
            try:
                data = os.read(fd, 1 << 16)
            except OSError:
                return
            self.chunks.append((time.monotonic(), data))
            self.decoder.feed(data)

    def qemu_log(self) -> str:
        path = self.workdir / "qemu.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._stopping = True
        if self._reader is not None:
            self._reader.join(2)  # it polls the flag every 0.2 s
        for fd in (self._out_fd, self._in_fd):
            if fd is not None:
                os.close(fd)
        self._out_fd = self._in_fd = None

    def send(self, data: bytes) -> None:
        assert self._in_fd is not None
        with self.decoder.lock:
            self._bytes_at_key = len(self.decoder.raw)
            self._key_time = time.monotonic()
        os.write(self._in_fd, data)

    def reacted(self) -> bool:
        """Whether the firmware has shown a reaction to the last key (or had ample time to)."""
        with self.decoder.lock:
            return (
                len(self.decoder.raw) > self._bytes_at_key or time.monotonic() - self._key_time >= REACT_MAX
            )

    def watch_screens(self) -> None:
        """Snapshot a drawing when it first rests and after each key (not on countdown ticks)."""
        d = self.decoder
        with d.lock:
            if d.in_screen and d.session != self._seen_session:
                self._seen_session = d.session
                self._pending_snapshot = True
            if self._pending_snapshot and d.in_screen and self.reacted() and d.quiet_for() >= SNAP_QUIET:
                d.take_snapshot()
                self._pending_snapshot = False

    def wait_until(self, ready: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while True:
            self.watch_screens()
            if ready():
                return
            if self._proc is not None and self._proc.poll() is not None:
                raise FirmwareError(f"QEMU exited while waiting for {what}: {self.qemu_log()}")
            if time.monotonic() > deadline:
                tail = self.decoder.text()[-1500:]
                raise FirmwareError(
                    f"timed out after {timeout:.0f} s waiting for {what}; console ends:\n{tail}"
                )
            time.sleep(0.05)

    def line_index(self, text: str, start: int = 0) -> int | None:
        with self.decoder.lock:
            lines = self.decoder.lines.lines
            for i in range(start, len(lines)):
                if lines[i] == text:
                    return i
        return None

    def text_since(self, line: int) -> str:
        with self.decoder.lock:
            d = self.decoder
            return "\n".join([*d.lines.lines[line:], d.lines.partial()])

    def run_case(self, case: Case, start_line: int) -> int:
        """Send the case's keys at the right moments; return the line index of its BEGIN marker."""
        begin_text = f"@@ORACLE-BEGIN {case.name}"
        found: list[int] = []

        def begun() -> bool:
            idx = self.line_index(begin_text, start_line)
            if idx is not None:
                found.append(idx)
            return idx is not None

        self.wait_until(begun, case.timeout, f"the start of case {case.name}")
        begin = found[0]
        end_text = f"@@ORACLE-END {case.name} "
        deadline = time.monotonic() + case.timeout
        for number, token in enumerate(case.key_list):
            remaining = deadline - time.monotonic()

            def ready_for_key(first: bool = number == 0) -> bool:
                since = self.text_since(begin)
                if end_text in since:
                    return True
                if first and case.wait and case.wait not in since and not self._on_screen(case.wait):
                    return False
                return self.reacted() and self.decoder.quiet_for() >= KEY_QUIET

            self.wait_until(ready_for_key, max(remaining, 1), f"case {case.name} to wait for key {token}")
            if end_text in self.text_since(begin):
                break  # the case ended early: the keys left are reported by the caller
            self.chunks.append((time.monotonic(), b"<<KEY " + token.encode() + b">>"))
            drawing = self.decoder.session if self.decoder.in_screen else None
            self.send(key_bytes(token))
            self.sent_keys.setdefault(case.name, []).append(token)
            self._pending_snapshot = True
            if token == "ESC" and drawing is not None:
                # Esc cancels a menu or form: its last screen is taken as it ends. A countdown ticking
                # while OVMF holds the ESC is no reaction to it (it would add a screen).
                self._pending_snapshot = False
                ended = self._wait_for_drawing_end(drawing)
                if self._seen_session == drawing:  # else the next case's drawing began: its snapshot stands
                    self._pending_snapshot = not ended
            elif token == "ESC":
                self._wait_for_reaction()
        remaining = deadline - time.monotonic()
        self.wait_until(
            lambda: end_text in self.text_since(begin), max(remaining, 1), f"the end of {case.name}"
        )
        return begin

    def _wait_for_reaction(self) -> None:
        """Wait (at most ESC_PAUSE) until the firmware printed something after the last key."""
        until = time.monotonic() + ESC_PAUSE

        def reacted() -> bool:
            return len(self.decoder.raw) > self._bytes_at_key or time.monotonic() >= until

        self.wait_until(reacted, ESC_PAUSE + 1, "the firmware to take the ESC key")

    def _wait_for_drawing_end(self, session: int) -> bool:
        """Wait (at most ESC_PAUSE) until drawing SESSION ended; whether it did."""
        until = time.monotonic() + ESC_PAUSE
        d = self.decoder

        def ended() -> bool:
            with d.lock:
                return not d.in_screen or d.session != session or time.monotonic() >= until

        self.wait_until(ended, ESC_PAUSE + 1, "the firmware to take the ESC key")
        with d.lock:
            return not d.in_screen or d.session != session

    def _on_screen(self, text: str) -> bool:
        d = self.decoder
        with d.lock:
            return d.in_screen and any(text in row for row in d.grid.snapshot())


def cut_case(decoder: Decoder, case: Case, begin: int) -> Transcript:
    """The case's own console, screens and status out of the whole boot transcript (rules above)."""
    lines = decoder.lines.lines
    end_text = f"@@ORACLE-END {case.name} "
    problems: list[str] = []
    end = next(i for i in range(begin + 1, len(lines)) if end_text in lines[i])
    marker_line = lines[end]
    prefix, _, status_text = marker_line.partition(end_text)
    body = lines[begin + 1 : end]
    download = f"{case.url}..."
    if body and body[0].startswith(download):
        body = body[1:]
    else:
        problems.append(f"no download line {download!r} after the BEGIN marker")
    if any(begin < line <= end for line in decoder.garbled_lines):
        problems.append(GARBLED)
    status = int(status_text.strip(), 0)
    if status != 0 and not prefix:
        last = body[-1] if body else ""
        cut = last.rfind("Could not boot: ")
        if cut >= 0:
            body, prefix = body[:-1], last[:cut]
        else:
            problems.append("failed case without the driver's 'Could not boot:' line")
    console = "\n".join([*body, prefix])
    screens = [s.rows for s in decoder.screens if begin < s.line_index <= end]
    return Transcript(case.name, console, screens, status, case.keys, problems)


def run_cases(
    cases: list[Case], cases_dir: Path = CASES_DIR, retries: int = 1, build: Build = BUILDS[DEFAULT_PROFILE]
) -> dict[str, Transcript]:
    """Run every case in order, in one boot when all goes well, and return each case's transcript.

    A case that does not end in time (waiting for a key it never gets, say) is reported with a problem
    and ends that boot; the cases after it run in a new boot. Cases whose serial output was garbled are
    run again in a fresh boot (at most RETRIES times).
    """
    missing = build.missing()
    if missing:
        raise FirmwareError(f"cannot run the firmware, missing: {', '.join(missing)}")
    names = [c.name for c in cases]
    if len(set(names)) != len(names) or any(not re.fullmatch(r"[\w.-]+", n) for n in names):
        raise FirmwareError("case names must be unique words (letters, digits, _ . -)")
    results = _run_all(cases, cases_dir, build)
    for _ in range(retries):
        again = [c for c in cases if GARBLED in results[c.name].problems]
        if not again:
            break
        results.update(_run_all(again, cases_dir, build))
    return results


def _run_all(cases: list[Case], cases_dir: Path, build: Build) -> dict[str, Transcript]:
    results: dict[str, Transcript] = {}
    pending = list(cases)
    while pending:
        done, stuck = _boot(pending, cases_dir, build)
        results.update(done)
        if stuck is None:
            break
        results[stuck.name] = stuck
        pending = pending[[c.name for c in pending].index(stuck.name) + 1 :]
    return results


def _boot(
    cases: list[Case], cases_dir: Path, build: Build
) -> tuple[dict[str, Transcript], Transcript | None]:
    """One boot over CASES: the transcripts of the cases that ended, and the one that got stuck if any."""
    with tempfile.TemporaryDirectory(prefix="ipxe-oracle-") as tmp:
        work = Path(tmp)
        tftp_root = work / "tftp"
        stage_cases(tftp_root, cases_dir)
        (tftp_root / DRIVER_NAME).write_text(driver_script(cases))
        fw = Firmware(tftp_root, DRIVER_NAME, work, build)
        begins: dict[str, int] = {}
        stuck: Transcript | None = None
        try:
            fw.start()
            fw.wait_until(lambda: fw.line_index(READY) is not None, BOOT_TIMEOUT, "the driver script")
            start = 0
            for case in cases:
                try:
                    begins[case.name] = start = fw.run_case(case, start)
                except FirmwareError as exc:
                    stuck = Transcript(case.name, "", [], -1, case.keys, [f"stuck: {exc}"])
                    break
            if stuck is None:
                last = start
                fw.wait_until(lambda: fw.line_index(DONE, last) is not None, 30, "the end of the driver")
        finally:
            fw.stop()
            _keep_raw(fw)
        results = {}
        for case in cases:
            if case.name not in begins:
                continue
            result = cut_case(fw.decoder, case, begins[case.name])
            unsent = case.key_list[len(fw.sent_keys.get(case.name, [])) :]
            if unsent:
                result.problems.append(f"the case ended before these keys were sent: {' '.join(unsent)}")
            results[case.name] = result
        return results, stuck


def _keep_raw(fw: Firmware) -> None:
    """With ORACLE_KEEP_RAW=PATH, save the boot's raw serial bytes, and PATH.chunks with timings and keys."""
    path = os.environ.get("ORACLE_KEEP_RAW")
    if path:
        Path(path).write_bytes(bytes(fw.decoder.raw))
        Path(path + ".chunks").write_text("\n".join(f"{t:.3f} {d!r}" for t, d in fw.chunks))
