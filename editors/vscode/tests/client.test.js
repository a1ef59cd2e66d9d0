// Loads extension.js with stand-ins for the `vscode` and `vscode-languageclient` modules (which only exist
// inside VS Code) and checks what the extension asks VS Code to start.
"use strict";

const test = require("node:test");
const assert = require("node:assert");
const Module = require("node:module");
const path = require("node:path");

function loadExtension(settings) {
  const started = [];
  const errors = [];
  const commands = {};
  const fakeVscode = {
    workspace: {
      getConfiguration: () => ({ get: (key) => settings[key] }),
      createFileSystemWatcher: (glob) => ({ glob }),
    },
    window: { showErrorMessage: (message) => errors.push(message) },
    commands: {
      registerCommand: (name, callback) => {
        commands[name] = callback;
        return { dispose() {} };
      },
    },
  };
  class FakeLanguageClient {
    constructor(id, name, serverOptions, clientOptions) {
      Object.assign(this, { id, name, serverOptions, clientOptions, running: false });
    }
    async start() {
      this.running = true;
      started.push(this);
    }
    needsStop() {
      return this.running;
    }
    async stop() {
      this.running = false;
    }
  }
  const fakes = {
    vscode: fakeVscode,
    "vscode-languageclient/node": { LanguageClient: FakeLanguageClient, TransportKind: { stdio: 0 } },
  };
  const originalLoad = Module._load;
  Module._load = function (request, parent, isMain) {
    if (request in fakes) return fakes[request];
    return originalLoad.call(this, request, parent, isMain);
  };
  const file = path.join(__dirname, "..", "extension.js");
  delete require.cache[require.resolve(file)];
  try {
    return { extension: require(file), started, errors, commands };
  } finally {
    Module._load = originalLoad;
  }
}

test("starts `ipxescript lsp` over stdio for ipxe documents", async () => {
  const { extension, started, errors } = loadExtension({});
  await extension.activate({ subscriptions: [] });
  assert.deepStrictEqual(errors, []);
  assert.strictEqual(started.length, 1);
  const client = started[0];
  assert.strictEqual(client.serverOptions.command, "ipxescript");
  assert.deepStrictEqual(client.serverOptions.args, ["lsp"]);
  assert.strictEqual(client.serverOptions.transport, 0);
  const languages = client.clientOptions.documentSelector.map((s) => s.language);
  assert.deepStrictEqual([...new Set(languages)], ["ipxe"]);
  assert.strictEqual(client.clientOptions.synchronize.fileEvents.glob, "**/{pyproject.toml,.ipxelint.toml}");
});

test("the server command setting replaces the default", async () => {
  const { extension, started } = loadExtension({ "server.command": ["/opt/venv/bin/python", "-m", "ipxescript", "lsp"] });
  await extension.activate({ subscriptions: [] });
  assert.strictEqual(started[0].serverOptions.command, "/opt/venv/bin/python");
  assert.deepStrictEqual(started[0].serverOptions.args, ["-m", "ipxescript", "lsp"]);
});

test("a malformed server command is reported, not thrown", async () => {
  const { extension, started, errors } = loadExtension({ "server.command": "ipxescript lsp" });
  await extension.activate({ subscriptions: [] });
  assert.strictEqual(started.length, 0);
  assert.strictEqual(errors.length, 1);
  assert.match(errors[0], /ipxescript\.server\.command must be a non-empty list/);
});

test("the restart command stops the client and starts a new one", async () => {
  const { extension, started, commands } = loadExtension({});
  await extension.activate({ subscriptions: [] });
  await commands["ipxescript.restartServer"]();
  assert.strictEqual(started.length, 2);
  assert.strictEqual(started[0].running, false);
  assert.strictEqual(started[1].running, true);
  await extension.deactivate();
  assert.strictEqual(started[1].running, false);
});
