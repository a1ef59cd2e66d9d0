"""The API token: who may change assignments and read the boot log over HTTP.

The token is a secret string in a file: `--api-token-file FILE` or `[api] token_file`, else
`STATE_DIR/api-token`, made (mode 0600) at the first start. Clients send it as `Authorization: Bearer
TOKEN`; browsers never add that header on their own, so a page from another site cannot use the API
through a browser on the server's host (and `Origin` is checked as well).
"""

from __future__ import annotations

import hmac
import os
import secrets

from ipxescript.serve.config import ConfigError, ServeConfig

TOKEN_NAME = "api-token"


def token_path(config: ServeConfig) -> str:
    return str(config.api_token_file or config.state_dir / TOKEN_NAME)


def api_token(config: ServeConfig) -> str:
    """The token in force; makes STATE_DIR/api-token when no file is configured and none exists yet."""
    path = token_path(config)
    if config.api_token_file is None and not os.path.exists(path):
        try:
            _make_token_file(path)
        except OSError as exc:  # a state dir the server may not write, or under a file
            raise ConfigError(
                f"state directory {config.state_dir}: cannot make the API token file in it: {exc.strerror}"
            ) from None
    try:
        with open(path, encoding="utf-8") as handle:
            token = handle.read().strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"API token file {path}: cannot read it ({exc})") from None
    if len(token) < 16 or any(c.isspace() for c in token):
        raise ConfigError(f"API token file {path}: the token must be one word of at least 16 characters")
    return token


def _make_token_file(path: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = f"{path}.{os.getpid()}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(32) + "\n")
    try:  # appears whole or not at all; another process may have made it first
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)


def authorized(header: str | None, token: str) -> bool:
    """Whether an Authorization header carries the token (compared in constant time; a header that is
    not UTF-8 is compared as its bytes, never an error)."""
    if not header:
        return False
    scheme, _, value = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        value.strip().encode("utf-8", "surrogateescape"), token.encode()
    )
