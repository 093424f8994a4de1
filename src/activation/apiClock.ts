/**
 * Imported second by `extension.ts`: the first `require('vscode')` makes the host build the API
 * object for this extension (VS Code's cost, not ours); this marks when that was done, so the
 * activation log can tell the two apart.
 */
import * as vscode from 'vscode';

export const apiReadyAt = vscode.version ? performance.now() : performance.now();
