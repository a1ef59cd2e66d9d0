"""The oracle's case scripts: `cases/NAME.ipxe` with optional header comments.

Header comments (anywhere in the script, usually right after `#!ipxe`):

* `# keys: K K ...`   keys to send, exactly the `ipxesim --keys` string;
* `# wait: TEXT`      do not send the first key before TEXT is on the console or the screen;
* `# clear: A B ...`  extra settings the driver clears after the case (the ones named by `set`,
                      `clear`, `read`, `inc` and `choose` in the script are found automatically);
* `# timeout: SECS`   how long the case may take on the firmware (default 20);
* `# skip: PROFILE ... -- WHY`  profiles whose firmware cannot run the case (the pcbios build jumps
                      into anything that is not an image it knows, and the machine hangs).

Files a case fetches live in `cases/files/`; the firmware sees the cases directory as the TFTP root
`tftp://10.0.2.2/`.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .keys import key_bytes, split_keys

CASES_DIR = Path(__file__).parent / "cases"
EXPECTED_DIR = Path(__file__).parent / "expected"
TFTP_HOST = "10.0.2.2"
URL_PREFIX = f"tftp://{TFTP_HOST}/"

# Files too big or not ours to keep in the repository, put into the TFTP root at run time.
RUNTIME_FILES = {"files/k.efi": Path("/usr/lib/ipxe/snponly.efi")}  # a real EFI executable

_HEADER = re.compile(r"^#\s*(keys|wait|clear|timeout|skip):\s?(.*)$")
_SETTING_CMD = re.compile(r"(?:^|[;&|]\s*)(set|clear|read|inc|choose)\s+([^;&|]*)")
_NAMED_MENU = re.compile(r"\bmenu\b[^\n]*?(?:--name[= ]|-n\s*)(\S+)")


@dataclass
class Case:
    name: str
    path: Path
    keys: str = ""
    wait: str | None = None
    settings: list[str] = field(default_factory=list)
    menus: list[str] = field(default_factory=list)
    cleanup: list[str] = field(default_factory=list)  # more driver lines after the case (the fuzzer's)
    timeout: float = 20.0
    skip: frozenset[str] = frozenset()  # profiles that do not run this case

    @property
    def url(self) -> str:
        return URL_PREFIX + self.path.name

    @property
    def key_list(self) -> list[str]:
        return split_keys(self.keys)


def _setting_names(text: str) -> set[str]:
    """Setting names a script writes, so the driver can clear them after it (literal names only)."""
    names: set[str] = set()
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        for match in _SETTING_CMD.finditer(line):
            words = [w for w in match.group(2).split() if not w.startswith("-")]
            if match.group(1) in ("set", "clear", "read", "inc"):
                words = words[:1]
            elif words:
                words = words[-1:]
            for word in words:
                name = word.split(":")[0]
                if name and "$" not in name and re.fullmatch(r"[\w./-]+", name):
                    names.add(name)
    return names


def load_case(path: Path) -> Case:
    text = path.read_text()
    case = Case(name=path.stem, path=path)
    extra: list[str] = []
    for line in text.splitlines():
        header = _HEADER.match(line.strip())
        if not header:
            continue
        key, value = header.group(1), header.group(2).strip()
        if key == "keys":
            case.keys = value
            for token in case.key_list:
                key_bytes(token)  # reject unknown names early
        elif key == "wait":
            case.wait = value
        elif key == "clear":
            extra.extend(value.split())
        elif key == "timeout":
            case.timeout = float(value)
        elif key == "skip":
            case.skip = frozenset(value.split("--")[0].split())
    case.settings = sorted(_setting_names(text) | set(extra))
    case.menus = named_menus(text)
    return case


def named_menus(text: str) -> list[str]:
    """Names of the menus a script creates with `menu --name`, so the driver can delete them."""
    return sorted(set(_NAMED_MENU.findall(text)))


def load_cases(
    directory: Path = CASES_DIR, names: list[str] | None = None, profile: str | None = None
) -> list[Case]:
    """The cases in DIRECTORY (only NAMES if given; only those PROFILE runs if given)."""
    paths = sorted(directory.glob("*.ipxe"))
    cases = [load_case(p) for p in paths]
    if names:
        wanted = set(names)
        unknown = wanted - {c.name for c in cases}
        if unknown:
            raise ValueError(f"no such case(s): {', '.join(sorted(unknown))}")
        cases = [c for c in cases if c.name in wanted]
    if profile is not None:
        cases = [c for c in cases if profile not in c.skip]
    return cases


def stage_cases(dest: Path, source: Path = CASES_DIR) -> Path:
    """Copy the cases directory to DEST (the TFTP root) and add the run-time files."""
    shutil.copytree(source, dest, dirs_exist_ok=True)
    for relative, origin in RUNTIME_FILES.items():
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(origin, target)
    return dest
