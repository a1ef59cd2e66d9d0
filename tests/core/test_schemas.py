"""The JSON Schemas of the two configuration files: valid schemas, the same keys as the loaders, the
repository's own config files valid under them, and named in the loaders' error messages."""

from __future__ import annotations

import tomllib
from pathlib import Path

import jsonschema
import pytest

from ipxescript.lint.config import ConfigError as LintConfigError
from ipxescript.lint.config import config_from_table
from ipxescript.schemas import LINT, SERVE, keys, load
from ipxescript.serve.config import KNOWN_KEYS, load_config
from ipxescript.serve.config import ConfigError as ServeConfigError

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", [LINT, SERVE])
def test_schemas_are_valid_json_schema(name: str) -> None:
    jsonschema.Draft202012Validator.check_schema(load(name))


def test_serve_schema_has_every_key_the_loader_knows() -> None:
    assert set(KNOWN_KEYS) | {"root"} <= set(keys(SERVE))


def test_every_ipxescript_toml_in_the_repository_is_valid() -> None:
    found = [
        p for p in ROOT.rglob("ipxescript.toml") if ".venv" not in p.parts and "node_modules" not in p.parts
    ]
    assert found, "the bundled example tree has one"
    validator = jsonschema.Draft202012Validator(load(SERVE))
    for path in found:
        errors = [e.message for e in validator.iter_errors(tomllib.loads(path.read_text()))]
        assert not errors, (path, errors)


def test_lint_schema_accepts_the_documented_example_and_rejects_typos() -> None:
    example = tomllib.loads(
        """
select = ["IPX", "goto-missing-label"]
ignore = "IPX203"
profile = "pcbios"
fail-on = "error"
template = "jinja"
entry = ["menu.ipxe"]
map = ["http://boot.example.org/=."]
[build]
enable = ["IMAGE_TRUST_CMD"]
[severity]
IPX404 = "warning"
[per-path-ignores]
"legacy/*.ipxe" = ["IPX2"]
"""
    )
    validator = jsonschema.Draft202012Validator(load(LINT))
    assert not list(validator.iter_errors(example))
    assert list(validator.iter_errors({"selekt": ["IPX1"]}))
    assert list(validator.iter_errors({"fail-on": "sometimes"}))
    assert not list(validator.iter_errors({"tool": {"ipxelint": {"select": ["IPX1"]}}}))


def test_loaders_name_the_schema_and_suggest_the_key(tmp_path: Path) -> None:
    with pytest.raises(LintConfigError) as lint_error:
        config_from_table({"selct": ["IPX1"]}, tmp_path / ".ipxelint.toml")
    assert "unknown key 'selct' (did you mean 'select'?)" in str(lint_error.value)
    assert "ipxescript/schemas/ipxelint.schema.json" in str(lint_error.value)
    (tmp_path / "ipxescript.toml").write_text('defualt = "boot.ipxe"\n')
    with pytest.raises(ServeConfigError) as serve_error:
        load_config(str(tmp_path))
    assert "unknown key 'defualt' (did you mean 'default'?)" in str(serve_error.value)
    assert "ipxescript/schemas/ipxescript.schema.json" in str(serve_error.value)
