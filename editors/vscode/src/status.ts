/**
 * What the status bar says: the client's state, what the server reported through the custom
 * `codegpt/status` notification ({ model, provider, latencyMs }) and the last suggestion's
 * round trip as the client measured it.
 */

export const STATUS_NOTIFICATION = 'codegpt/status';

export type ClientState = 'starting' | 'running' | 'stopped' | 'missing';

export interface ServerStatus {
  model?: string;
  provider?: string;
  latencyMs?: number;
}

export interface StatusView {
  text: string;
  tooltip: string;
}

/** Accept only the fields we know, with the types we expect: the server may evolve. */
export function parseServerStatus(params: unknown): ServerStatus | undefined {
  if (typeof params !== 'object' || params === null) {
    return undefined;
  }
  const raw = params as Record<string, unknown>;
  const status: ServerStatus = {};
  if (typeof raw.model === 'string') {
    status.model = raw.model;
  }
  if (typeof raw.provider === 'string') {
    status.provider = raw.provider;
  }
  if (typeof raw.latencyMs === 'number' && Number.isFinite(raw.latencyMs) && raw.latencyMs >= 0) {
    status.latencyMs = raw.latencyMs;
  }
  return Object.keys(status).length > 0 ? status : undefined;
}

/** `ExecutionProvider` suffixes are noise in a status bar: CUDAExecutionProvider -> CUDA. */
export function shortProvider(provider: string): string {
  return provider.replace(/ExecutionProvider$/, '');
}

export function formatStatus(state: ClientState, status: ServerStatus, paused: boolean): StatusView {
  const click = paused ? 'Click to resume suggestions.' : 'Click to pause suggestions.';
  switch (state) {
    case 'missing':
      return { text: '$(error) codegpt', tooltip: 'codegpt: server not found. Run "codegpt: Show Output".' };
    case 'stopped':
      return { text: '$(debug-disconnect) codegpt', tooltip: 'codegpt: server stopped. Run "codegpt: Restart Server".' };
    case 'starting':
      return { text: '$(sync~spin) codegpt', tooltip: 'codegpt: starting the server…' };
    case 'running': {
      const parts: string[] = [];
      if (status.provider !== undefined) {
        parts.push(shortProvider(status.provider));
      }
      if (status.latencyMs !== undefined) {
        parts.push(`${Math.round(status.latencyMs)} ms`);
      }
      const icon = paused ? '$(debug-pause)' : '$(sparkle)';
      const text = [`${icon} codegpt`, ...parts].join(' ');
      const lines = [
        paused ? 'codegpt: suggestions paused' : 'codegpt: running',
        `Model: ${status.model ?? 'not reported yet'}`,
        `Execution provider: ${status.provider ?? 'not reported yet'}`,
        `Last suggestion: ${status.latencyMs === undefined ? '–' : `${Math.round(status.latencyMs)} ms`}`,
        click,
      ];
      return { text, tooltip: lines.join('\n') };
    }
  }
}
