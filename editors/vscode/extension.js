// VS Code client for the ipxescript language server: starts `ipxescript lsp` over stdio for iPXE scripts.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

// The server command comes from the `ipxescript.server.command` setting: [program, ...arguments].
function serverOptions(configuration) {
  const command = configuration.get("server.command") || ["ipxescript", "lsp"];
  if (!Array.isArray(command) || command.length === 0 || typeof command[0] !== "string") {
    throw new Error("ipxescript.server.command must be a non-empty list: program followed by its arguments");
  }
  return { command: command[0], args: command.slice(1), transport: TransportKind.stdio };
}

function clientOptions() {
  return {
    documentSelector: [
      { scheme: "file", language: "ipxe" },
      { scheme: "untitled", language: "ipxe" },
    ],
    synchronize: {
      // the linter's configuration lives in these files; the server re-reads them when they change
      fileEvents: vscode.workspace.createFileSystemWatcher("**/{pyproject.toml,.ipxelint.toml}"),
    },
  };
}

async function start() {
  const configuration = vscode.workspace.getConfiguration("ipxescript");
  client = new LanguageClient("ipxescript", "iPXE language server", serverOptions(configuration), clientOptions());
  await client.start();
}

async function stop() {
  if (client) {
    const running = client;
    client = undefined;
    // a client whose server never started cannot be stopped (the library throws): nothing to stop
    if (running.needsStop()) await running.stop();
  }
}

// The package is installed from a clone of the repository: it is not on a package index.
const INSTALL_HINT =
  "Install it from a clone of the ipxescript repository (`pipx install /path/to/ipxescript`) " +
  "or set ipxescript.server.command, then run 'iPXE: Restart language server'.";

async function startOrExplain() {
  try {
    await start();
  } catch (error) {
    // the library rejects with a string ("Launching server using command ... failed. Error: ...")
    const reason = error instanceof Error ? error.message : String(error);
    vscode.window.showErrorMessage(`Could not start the iPXE language server (${reason}). ${INSTALL_HINT}`);
  }
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("ipxescript.restartServer", async () => {
      await stop();
      await startOrExplain();
    }),
  );
  await startOrExplain();
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate, serverOptions };
