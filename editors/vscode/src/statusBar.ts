/** The status bar item: model, execution provider, last latency; a click pauses suggestions. */
import * as vscode from 'vscode';
import { type ClientState, type ServerStatus, formatStatus } from './status';

export const TOGGLE_SUGGESTIONS_COMMAND = 'codegpt.toggleSuggestions';

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private state: ClientState = 'starting';
  private status: ServerStatus = {};
  private pausedFlag = false;

  constructor() {
    this.item = vscode.window.createStatusBarItem('codegpt.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'codegpt';
    this.item.command = TOGGLE_SUGGESTIONS_COMMAND;
    this.render();
    this.item.show();
  }

  get paused(): boolean {
    return this.pausedFlag;
  }

  setState(state: ClientState): void {
    this.state = state;
    this.render();
  }

  /** Merge what the server (or the client's own timing) reported. */
  report(status: ServerStatus): void {
    this.status = { ...this.status, ...status };
    this.render();
  }

  togglePaused(): boolean {
    this.pausedFlag = !this.pausedFlag;
    this.render();
    return this.pausedFlag;
  }

  dispose(): void {
    this.item.dispose();
  }

  private render(): void {
    const view = formatStatus(this.state, this.status, this.pausedFlag);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor =
      this.state === 'missing' || this.state === 'stopped'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : undefined;
  }
}
