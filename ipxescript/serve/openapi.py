"""The OpenAPI 3.1 description of the JSON API, served at /api/openapi.json (no token needed)."""

from __future__ import annotations

from typing import Any

_ERROR = {
    "description": "error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def _list_of(ref: str, text: str) -> dict[str, Any]:
    return {
        "description": text,
        "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": ref}}}},
    }


_LIMIT = {
    "name": "limit",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 0, "maximum": 1000, "default": 200},
}
_CLIENT = {
    "name": "client",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "a MAC (any common spelling) or an IPv4 address",
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ipxescript serve API",
            "version": "1",
            "description": "Assignments and the boot log of an `ipxescript serve` boot server. Every "
            "operation but this description needs the API token (Authorization: Bearer TOKEN); reads "
            'are open when the server runs with [api] reads = "open". Bodies are JSON only.',
        },
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {"error": {"type": "string"}},
                    "required": ["error"],
                },
                "Assignment": {
                    "type": "object",
                    "properties": {
                        "client": {"type": "string"},
                        "kind": {"enum": ["once", "static"]},
                        "target": {"type": "string"},
                        "created": {"type": "number", "description": "seconds since the epoch"},
                    },
                    "required": ["client", "kind", "target", "created"],
                },
                "NewAssignment": {
                    "type": "object",
                    "properties": {
                        "client": {"type": "string"},
                        "target": {"type": "string", "description": "a script under ROOT"},
                        "once": {"type": "boolean", "default": False},
                    },
                    "required": ["client", "target"],
                    "additionalProperties": False,
                },
                "Event": {
                    "type": "object",
                    "properties": {
                        "time": {"type": "number"},
                        "client": {"type": "string"},
                        "ip": {"type": ["string", "null"]},
                        "stage": {"type": "string"},
                        "what": {"type": "string"},
                        "reason": {"type": "string"},
                        "protocol": {"type": "string"},
                        "pid": {"type": "integer"},
                        "outcome": {"enum": ["served", "refused", "error"]},
                    },
                },
                "Explanation": {
                    "type": "object",
                    "description": "what a client would get now and the rule that decides it",
                    "properties": {
                        "client": {"type": "string"},
                        "arch": {"type": "string"},
                        "arch_code": {"type": "integer"},
                        "ip": {"type": ["string", "null"]},
                        "dhcp": {"enum": ["off", "proxy", "full"]},
                        "offer": {"type": ["object", "null"], "description": "DHCP, PXE firmware"},
                        "ipxe_offer": {"type": ["object", "null"], "description": "DHCP, iPXE"},
                        "target": {"type": "string"},
                        "rule": {"enum": ["once", "static", "group", "default"]},
                        "reason": {"type": "string"},
                        "group": {"type": ["string", "null"]},
                        "selector": {"type": ["object", "null"]},
                        "served": {"type": "string"},
                        "script": {"type": "string", "description": "the script as it would be sent"},
                    },
                },
            },
        },
        "security": [{"token": []}],
        "paths": {
            "/api/assignments": {
                "get": {
                    "summary": "All assignments",
                    "responses": {
                        "200": _list_of("#/components/schemas/Assignment", "assignments"),
                        "401": _ERROR,
                    },
                },
                "post": {
                    "summary": "Create or replace an assignment",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/NewAssignment"}}
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "created",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Assignment"}}
                            },
                        },
                        "400": _ERROR,
                        "401": _ERROR,
                        "403": _ERROR,
                        "415": _ERROR,
                    },
                },
            },
            "/api/assignments/{client}": {
                "parameters": [_CLIENT],
                "get": {
                    "summary": "One client's assignments",
                    "responses": {
                        "200": _list_of("#/components/schemas/Assignment", "assignments"),
                        "404": _ERROR,
                    },
                },
                "delete": {
                    "summary": "Remove a client's assignments",
                    "responses": {"200": {"description": "removed"}, "404": _ERROR, "401": _ERROR},
                },
            },
            "/api/clients": {
                "get": {
                    "summary": "The latest boot-log event of each client, newest first",
                    "parameters": [_LIMIT],
                    "responses": {"200": _list_of("#/components/schemas/Event", "events"), "401": _ERROR},
                }
            },
            "/api/log": {
                "get": {
                    "summary": "Recent boot-log events, oldest first",
                    "parameters": [_LIMIT],
                    "responses": {"200": _list_of("#/components/schemas/Event", "events"), "401": _ERROR},
                }
            },
            "/api/events": {
                "get": {
                    "summary": "Boot-log events as server-sent events: the latest (newer than ?after=TIME), "
                    "then each new one; the stream ends after 10 minutes (open the next)",
                    "parameters": [
                        {
                            "name": "limit",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 0, "maximum": 1000, "default": 100},
                        },
                        {"name": "after", "in": "query", "required": False, "schema": {"type": "number"}},
                    ],
                    "responses": {
                        "200": {
                            "description": "`event: boot` messages, each `data:` one Event",
                            "content": {"text/event-stream": {"schema": {"type": "string"}}},
                        },
                        "401": _ERROR,
                        "503": _ERROR,
                    },
                }
            },
            "/api/explain": {
                "get": {
                    "summary": "What a client would get now, and why (a once assignment is not taken)",
                    "parameters": [
                        {"name": "client", "in": "query", "required": True, "schema": {"type": "string"}},
                        {"name": "arch", "in": "query", "required": False, "schema": {"type": "string"}},
                        {"name": "ip", "in": "query", "required": False, "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": {
                            "description": "the explanation",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Explanation"}}
                            },
                        },
                        "400": _ERROR,
                        "401": _ERROR,
                    },
                }
            },
            "/api/server": {
                "get": {
                    "summary": "The server: ROOT, boot URL, default target, groups with selectors, lint errors",
                    "responses": {"200": {"description": "the server's settings"}, "401": _ERROR},
                }
            },
            "/api/openapi.json": {
                "get": {
                    "summary": "This description",
                    "security": [],
                    "responses": {"200": {"description": "OpenAPI"}},
                }
            },
        },
    }
