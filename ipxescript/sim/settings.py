"""The settings store: a tree of blocks, predefined settings, built-ins, lookup order and types.

Follows src/core/settings.c: names are ``[block.path/]name[:type]``; an unscoped fetch tries the root and
then every descendant in priority order; a scoped fetch tries that block and its descendants; ``netX``
redirects to the most recently opened interface; ``set``-like commands create missing blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ipxescript.analysis.values import strtoul
from ipxescript.sim import errors, types
from ipxescript.sim.errors import IpxeError


@dataclass(slots=True)
class Stored:
    name: str  # as the setting is called (predefined name, or the text used to store it)
    type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Predefined:
    name: str
    type: str
    tag: int | None  # DHCP-style tag, when the setting has one
    generic: bool  # applies to any generic/DHCP block (vs. a specific scope such as builtin or ndp)


@dataclass(slots=True)
class SettingRef:
    """A parsed setting name: where it lives and how to show it."""

    block: Block | None  # None: unscoped (search from the root)
    key: str  # lookup key (predefined name, or the name text)
    name: str
    type: str | None  # explicit or predefined type; None lets the stored type decide


BuiltinFetch = Callable[[], "tuple[str, bytes] | None"]


@dataclass(eq=False)
class Block:
    name: str
    parent: Block | None = None
    children: list[Block] = field(default_factory=list)
    values: dict[str, Stored] = field(default_factory=dict)
    builtins: dict[str, BuiltinFetch] | None = None  # set for the read-only builtin block
    dynamic: Callable[[str], Stored | None] | None = None  # raw access by number (pci, smbios)
    order: int = 0

    @property
    def path(self) -> str:
        """Full dotted name (``net0.dhcp``); the root's is empty."""
        if self.parent is None:
            return ""
        parent = self.parent.path
        return f"{parent}.{self.name}" if parent else self.name

    @property
    def priority(self) -> int:
        stored = self.values.get("priority")
        if stored is None:
            return 0
        try:
            return types.numeric_value(stored.data, True)
        except types.TypeFormatError:
            return 0

    def child(self, name: str) -> Block | None:
        for block in self.children:
            if block.name == name:
                return block
        return None

    def add_child(self, name: str) -> Block:
        """Register a child block (replacing one of the same name, as register_settings does)."""
        old = self.child(name)
        if old is not None:
            self.children.remove(old)
        block = Block(name, parent=self)
        block.order = len(self.children)
        self.children.append(block)
        return block

    def ordered_children(self) -> list[Block]:
        return sorted(self.children, key=lambda b: -b.priority)

    def fetch_here(self, key: str) -> Stored | None:
        if not key:
            return None  # a setting with an empty name is never found (observed: show net0/)
        if self.dynamic is not None and key not in self.values:
            return self.dynamic(key)
        if self.builtins is not None:
            fetch = self.builtins.get(key)
            if fetch is None:
                return None
            got = fetch()
            return None if got is None else Stored(key, got[0], got[1])
        return self.values.get(key)

    def walk(self) -> Iterator[Block]:
        yield self
        for block in self.ordered_children():
            yield from block.walk()


class SettingsStore:
    def __init__(
        self,
        predefined: list[Predefined],
        type_names: set[str],
        rules: types.Rules = types.DEFAULT_RULES,
    ) -> None:
        self.root = Block("")
        self.type_names = type_names
        self.rules = rules
        self.by_name: dict[str, Predefined] = {}
        self.by_tag: dict[int, Predefined] = {}
        for setting in predefined:
            if setting.generic or setting.name not in self.by_name:
                self.by_name[setting.name] = setting
            if setting.tag is not None and setting.generic:
                self.by_tag.setdefault(setting.tag, setting)
        self.netx: Block | None = None  # block netX redirects to

    # -- names -----------------------------------------------------------------------------------------

    def find_block(self, path: str, create: bool) -> Block | None:
        block = self.root
        for part in path.split("."):
            if part == "netX" and block is self.root and self.netx is not None:
                block = self.netx
                continue
            found = block.child(part)
            if found is None:
                if not create:
                    return None
                found = block.add_child(part)
            block = found
        return block

    def parse_name(self, text: str, create: bool) -> SettingRef:
        """parse_setting_name: raises IpxeError(status) for an unknown type or (unless creating) block."""
        block: Block | None = None
        rest = text
        if "/" in text:
            path, rest = text.split("/", 1)
            if path:
                block = self.find_block(path, create)
                if block is None:
                    raise IpxeError(errors.SETTING_NO_BLOCK)
        type_name: str | None = None
        if ":" in rest:
            rest, type_name = rest.split(":", 1)
            if type_name not in self.type_names:
                raise IpxeError(errors.SETTING_BAD_TYPE)
        key = rest
        predefined = self.by_name.get(rest)
        tag = parse_tag(rest)
        if tag:
            predefined = self.by_tag.get(tag)
            key = predefined.name if predefined else f"#{tag}"
        name = predefined.name if predefined else rest
        if type_name is None and predefined is not None:
            type_name = predefined.type
        return SettingRef(block, key, name, type_name)

    # -- fetch -----------------------------------------------------------------------------------------

    def fetch_ref(self, ref: SettingRef) -> tuple[Block, Stored] | None:
        start = ref.block if ref.block is not None else self.root
        for block in start.walk():
            if block.dynamic is not None and block is not start:
                # raw access by number (pci, smbios) only applies in its own scope (setting_applies):
                # ${pci/...} answers, an unscoped ${66} does not; named values (${product}) still do
                stored = block.values.get(ref.key)
            else:
                stored = block.fetch_here(ref.key)
            if stored is not None:
                return block, stored
        return None

    def expand_value(self, text: str) -> str:
        """The value ``${text}`` expands to: "" on any problem."""
        try:
            ref = self.parse_name(text, create=False)
        except IpxeError:
            return ""
        found = self.fetch_ref(ref)
        if found is None:
            return ""
        stored = found[1]
        try:
            return types.format(ref.type or stored.type, stored.data, rules=self.rules)
        except types.TypeFormatError:
            return ""

    def show_line(self, text: str) -> str:
        """``show``: ``block/name:type = value``; raises IpxeError when invalid or unset."""
        ref = self.parse_name(text, create=False)
        found = self.fetch_ref(ref)
        if found is None:
            raise IpxeError(errors.SETTING_NOT_FOUND)
        block, stored = found
        type_name = ref.type or stored.type
        try:
            value = types.format(type_name, stored.data, rules=self.rules)
        except types.TypeFormatError as exc:
            if exc.status is not None:
                raise IpxeError(exc.status) from exc
            value = ""
        prefix = f"{block.path}/" if block.path else ""
        name = ref.name if stored.name.startswith("#") else stored.name  # a raw number as it was typed
        # nvo_cmd.c show_exec names it in a 32-byte buffer (observed: a long name loses its type)
        return f"{f'{prefix}{name}:{type_name}'[:31]} = {value}"

    def get(self, text: str) -> str | None:
        """Convenience for callers: the formatted value, or None when unset."""
        try:
            ref = self.parse_name(text, create=False)
        except IpxeError:
            return None
        found = self.fetch_ref(ref)
        if found is None:
            return None
        try:
            return types.format(ref.type or found[1].type, found[1].data, rules=self.rules)
        except types.TypeFormatError:
            return None

    # -- store -----------------------------------------------------------------------------------------

    def store_text(self, ref: SettingRef, value: str) -> None:
        """storef_setting: empty deletes; otherwise parse by type, then store (so a value that does not
        parse fails with the type's error even where the store would fail). Raises IpxeError."""
        type_name = ref.type or "string"
        data = None
        if value != "" and ref.key:
            try:
                data = types.parse(type_name, value, rules=self.rules)
            except types.TypeParseError as exc:
                raise IpxeError(exc.status) from exc
        self.store_raw(ref, type_name, data)

    def store_raw(self, ref: SettingRef, type_name: str, data: bytes | None) -> None:
        """store_setting: DATA into REF's block (None deletes); a block the setting does not apply to
        fails with ENOTTY, one that stores nothing (builtins) with ENOTSUP."""
        block = ref.block if ref.block is not None else self.root
        if block.builtins is not None:
            if ref.key in block.builtins:
                raise IpxeError(errors.STORE_UNSUPPORTED)
            raise IpxeError(errors.STORE_BUILTIN_OTHER)
        self._check_dhcp_block(block, ref)
        if data is None:
            block.values.pop(ref.key, None)
        else:
            block.values[ref.key] = Stored(ref.name, type_name, data)

    def _check_dhcp_block(self, block: Block, ref: SettingRef) -> None:
        """A DHCP packet's block (netX.dhcp) stores only settings that have a DHCP tag: others fail
        with ENOTTY (found by the differential fuzzer: `clear net0.dhcp/fy`)."""
        if block.name != "dhcp" or ref.key.startswith("#"):
            return
        predefined = self.by_name.get(ref.key)
        if predefined is None or predefined.tag is None:
            raise IpxeError(errors.STORE_BUILTIN_OTHER)

    def delete(self, ref: SettingRef) -> None:
        self.store_raw(ref, ref.type or "string", None)

    def set(self, name: str, value: str) -> None:
        """``set name value`` (used for --set and by the machine)."""
        self.store_text(self.parse_name(name, create=True), value)

    def set_raw(self, block_path: str, name: str, type_name: str, data: bytes) -> None:
        block = self.find_block(block_path, create=True) if block_path else self.root
        assert block is not None
        ref = self.parse_name(name, create=False)
        block.values[ref.key] = Stored(ref.name, type_name, data)

    def raw_state(self) -> tuple[tuple[str, str, str, bytes], ...]:
        """Every stored value as bytes (cheap to compare; explore's loop detection)."""
        return tuple(
            (block.path, key, stored.type, stored.data)
            for block in self.root.walk()
            if block.builtins is None
            for key, stored in block.values.items()
        )

    # -- dump ------------------------------------------------------------------------------------------

    def dump(self) -> dict[str, dict[str, str]]:
        """Every stored (non-builtin) value, ``{"block/name": {"type": .., "value": ..}}``."""
        out: dict[str, dict[str, str]] = {}
        for block in self.root.walk():
            if block.builtins is not None:
                continue
            for stored in block.values.values():
                try:
                    text = types.format(stored.type, stored.data, rules=self.rules)
                except types.TypeFormatError:
                    text = ""
                key = f"{block.path}/{stored.name}" if block.path else stored.name
                out[key] = {"type": stored.type, "value": text}
        return out


def parse_tag(text: str) -> int:
    """parse_setting_tag: numbers joined by '.', each shifted in 8 bits; 0 when not numeric."""
    if not text:
        return 0
    tag = 0
    for part in text.split("."):
        if not part:
            return 0
        value, end = strtoul(part)
        if end != len(part) or not part[0].isdigit():
            return 0
        tag = (tag << 8) | value
    return tag
