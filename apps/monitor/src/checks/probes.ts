import { connect } from 'node:net';
import type { ProbeConfig } from '@medic/config';
import { EngineUnavailable, ExecTimeout, type ContainerEngine } from '@medic/containers';
import type { ProbeObservation } from '@medic/domain';

/** A probe of a module, named for findings and metrics. */
export interface NamedProbe {
  readonly name: string;
  readonly config: ProbeConfig;
}

/** Names each configured probe by what it checks ("http <url>", "tcp host:port", "exec <command>"), distinct within the module. */
export function nameProbes(configs: readonly ProbeConfig[]): NamedProbe[] {
  const seen = new Map<string, number>();
  return configs.map((config) => {
    const base = describe(config);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return { name: n === 1 ? base : `${base} #${n}`, config };
  });
}

function describe(p: ProbeConfig): string {
  switch (p.type) {
    case 'http':
      return `http ${p.url}`;
    case 'tcp':
      return `tcp ${p.host}:${p.port}`;
    case 'exec':
      return `exec ${p.command.join(' ')}`;
  }
}

/**
 * Runs one probe; whatever goes wrong is the probe's failure, described, except
 * an engine that does not answer an exec probe: that says nothing about the
 * module, and is thrown, so that the check makes no verdict.
 */
export async function runProbe(probe: NamedProbe, engine: ContainerEngine, containerId: string): Promise<ProbeObservation> {
  const { config } = probe;
  const timeoutMs = Math.round(config.timeout_seconds * 1000);
  const started = performance.now();
  let outcome: { ok: boolean; detail: string };
  try {
    outcome = await attempt(config, timeoutMs, engine, containerId);
  } catch (error) {
    if (error instanceof EngineUnavailable) throw error;
    outcome = { ok: false, detail: failureOf(error, timeoutMs) };
  }
  return { name: probe.name, ok: outcome.ok, detail: outcome.detail, latencyMs: Math.round((performance.now() - started) * 100) / 100, failureThreshold: config.failure_threshold };
}

async function attempt(config: ProbeConfig, timeoutMs: number, engine: ContainerEngine, containerId: string): Promise<{ ok: boolean; detail: string }> {
  switch (config.type) {
    case 'http': {
      const res = await fetch(config.url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
      await res.body?.cancel();
      const ok = res.status === config.expected_status;
      return { ok, detail: ok ? `answered ${res.status}` : `answered ${res.status}, expected ${config.expected_status}` };
    }
    case 'tcp':
      await tcpConnect(config.host, config.port, timeoutMs);
      return { ok: true, detail: 'connected' };
    case 'exec': {
      const { exitCode, output } = await engine.exec(containerId, config.command, timeoutMs);
      const ok = exitCode === config.expected_exit_code;
      const said = output ? `: ${output.slice(0, 200)}` : '';
      return { ok, detail: ok ? `exited ${exitCode}` : `exited ${exitCode}, expected ${config.expected_exit_code}${said}` };
    }
  }
}

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new ProbeTimeout());
    });
    socket.once('error', (error) => {
      socket.destroy();
      reject(error);
    });
  });
}

class ProbeTimeout extends Error {}

function failureOf(error: unknown, timeoutMs: number): string {
  const timedOut = error instanceof ProbeTimeout || error instanceof ExecTimeout || (error instanceof Error && error.name === 'TimeoutError');
  if (timedOut) return `timed out after ${timeoutMs / 1000}s`;
  // fetch puts the network's reason (ECONNREFUSED…) in `cause`.
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = (error as { code?: string }).code ?? cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  const message = cause?.message ?? (error instanceof Error ? error.message : String(error));
  return code ? `${code}: ${message}` : message;
}
