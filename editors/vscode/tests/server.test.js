// The extension's real client (extension.js on vscode-languageclient's node API) starts the real
// `ipxescript lsp` and shows its diagnostics. Only the `vscode` module (which exists only inside VS Code)
// is stood in for, by a small editor model: one open document, and the diagnostics the client sets.
// Needs `ipxescript` on PATH (the test command's virtual environment).
"use strict";

const test = require("node:test");
const assert = require("node:assert");
const Module = require("node:module");
const path = require("node:path");

// Whatever the client touches that this model does not spell out: callable, constructible, chainable.
function anything() {
  return new Proxy(function () {}, {
    get: (target, key) => (key === "then" ? undefined : key === Symbol.iterator ? [][Symbol.iterator] : anything()),
    apply: () => anything(),
    construct: () => anything(),
  });
}
const withRest = (object) => new Proxy(object, { get: (t, key) => (key in t ? t[key] : anything()) });

class Position {
  constructor(line, character) { Object.assign(this, { line, character }); }
}
class Range {
  constructor(a, b, c, d) {
    [this.start, this.end] = a instanceof Position ? [a, b] : [new Position(a, b), new Position(c, d)];
  }
}
class Diagnostic {
  constructor(range, message, severity) { Object.assign(this, { range, message, severity }); }
}
class CancellationTokenSource {
  constructor() { this.token = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) }; }
  cancel() { this.token.isCancellationRequested = true; }
  dispose() {}
}
class Uri {
  constructor(text) { this.text = text; this.scheme = text.split(":")[0]; this.fsPath = text.replace(/^file:\/\//, ""); }
  static parse(text) { return new Uri(text); }
  static file(p) { return new Uri(`file://${p}`); }
  toString() { return this.text; }
}

function editor(document, settings) {
  const published = [];
  const shown = [];
  const commands = {};
  let notify;
  const arrived = new Promise((resolve) => { notify = resolve; });
  const vscode = withRest({
    version: "1.82.0",
    env: { appName: "node", language: "en" },
    Position, Range, Diagnostic, Uri, CancellationTokenSource,
    DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
    window: withRest({
      createOutputChannel: () => withRest({ append: (t) => process.env.DEBUG && process.stderr.write(t), appendLine: (t) => process.env.DEBUG && console.error(t) }),
      showErrorMessage: (message) => { shown.push(message); return Promise.resolve(undefined); },
    }),
    workspace: withRest({
      workspaceFolders: undefined,
      textDocuments: [document],
      getConfiguration: () => ({ get: (key) => settings[key] }),
      createFileSystemWatcher: () => withRest({}),
    }),
    languages: withRest({
      match: (selector, doc) => ([].concat(selector).some((s) => (s.language || s) === doc.languageId) ? 10 : 0),
      createDiagnosticCollection: () => withRest({
        set: (uri, diagnostics) => {
          if (process.env.DEBUG) console.error("SET", String(uri), diagnostics);
          published.push({ uri: String(uri), diagnostics });
          if (diagnostics && diagnostics.length) notify();
        },
      }),
    }),
    commands: withRest({
      registerCommand: (name, callback) => {
        commands[name] = callback;
        return { dispose() {} };
      },
    }),
  });
  return { vscode, published, shown, arrived, commands };
}

function loadExtension(vscode) {
  const originalLoad = Module._load;
  Module._load = function (request, parent, isMain) {
    return request === "vscode" ? vscode : originalLoad.call(this, request, parent, isMain);
  };
  const file = path.join(__dirname, "..", "extension.js");
  for (const key of Object.keys(require.cache)) delete require.cache[key];
  try {
    return require(file);
  } finally {
    Module._load = originalLoad;
  }
}

test("the extension starts `ipxescript lsp --stdio` and receives its diagnostics", async () => {
  const text = "#!ipxe\ngoto nowhere\n";
  const document = {
    uri: Uri.file("/tmp/ipxescript-vscode-test/boot.ipxe"),
    fileName: "/tmp/ipxescript-vscode-test/boot.ipxe",
    languageId: "ipxe",
    version: 1,
    isClosed: false,
    getText: () => text,
  };
  const { vscode, published, shown, arrived } = editor(document, process.env.DEBUG ? { "trace.server": "verbose" } : {});
  const extension = loadExtension(vscode);
  await extension.activate({ subscriptions: [] });
  assert.deepStrictEqual(shown, [], "the server did not start");
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error("no diagnostics in 60 s")), 60000);
  });
  try {
    await Promise.race([arrived, timeout]);
  } finally {
    clearTimeout(timer);
    await extension.deactivate();
  }
  const found = published.find((p) => p.diagnostics.length);
  assert.strictEqual(found.uri, "file:///tmp/ipxescript-vscode-test/boot.ipxe");
  const messages = found.diagnostics.map((d) => d.message);
  assert.ok(messages.some((m) => /nowhere/.test(m)), messages.join("\n"));
  const diagnostic = found.diagnostics.find((d) => /nowhere/.test(d.message));
  assert.strictEqual(diagnostic.range.start.line, 1);
});

test("a server command that cannot start is explained, and the restart command starts the fixed one", async () => {
  const text = "#!ipxe\ngoto nowhere\n";
  const document = {
    uri: Uri.file("/tmp/ipxescript-vscode-test/missing.ipxe"),
    fileName: "/tmp/ipxescript-vscode-test/missing.ipxe",
    languageId: "ipxe",
    version: 1,
    isClosed: false,
    getText: () => text,
  };
  const settings = { "server.command": ["no-such-ipxescript", "lsp"] };
  const { vscode, published, shown, arrived, commands } = editor(document, settings);
  const extension = loadExtension(vscode);
  await extension.activate({ subscriptions: [] });
  const ours = shown.filter((m) => m.startsWith("Could not start"));
  assert.strictEqual(ours.length, 1, shown.join("\n"));
  // the launcher's own words (which command, why), and how to install: the package is not on PyPI
  assert.match(ours[0], /no-such-ipxescript.*ENOENT/);
  assert.doesNotMatch(ours[0], /pip install ipxescript/);
  assert.match(ours[0], /from a clone/);
  // the user fixes the setting and restarts: the server starts and diagnoses the document
  settings["server.command"] = ["ipxescript", "lsp"];
  await commands["ipxescript.restartServer"]();
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error("no diagnostics in 60 s after the restart")), 60000);
  });
  try {
    await Promise.race([arrived, timeout]);
  } finally {
    clearTimeout(timer);
    await extension.deactivate();
  }
  assert.ok(published.some((p) => p.diagnostics.some((d) => /nowhere/.test(d.message))));
});
