// Starts an Elasticsearch node of its own in a temp workDir (the shared test stack has none):
// it indexes and finds a document through the official client, and once stopped neither the
// launcher (working in the workDir) nor the server JVM (working in the cached distribution) is
// left; started again on the same workDir and port, it still has the document.
import { Client } from '@elastic/elasticsearch';
import { readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeze } from '@medic/testing';
import { startElasticsearch, type ElasticsearchHandle } from './elasticsearch';
import { isAlive } from './processes';
import { waitFor } from './wait';

/** Pids of every process whose working folder is inside `dir`. */
function processesIn(dir: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/cwd`).startsWith(dir);
      } catch {
        return false; // gone meanwhile, or not ours to read
      }
    })
    .map(Number);
}


const log = (line: string) => process.stderr.write(`[devstack] ${line}\n`);

/** The pid of the node's server JVM, as the node says. */
async function serverJvm(url: string): Promise<number> {
  const client = new Client({ node: url });
  try {
    const local = await client.nodes.info({ node_id: '_local', metric: 'process' });
    const [pid] = Object.values(local.nodes).flatMap((node) => (node.process ? [node.process.id] : []));
    if (pid === undefined) throw new Error('the node did not say its pid');
    return pid;
  } finally {
    await client.close();
  }
}

describe('devstack Elasticsearch', () => {
  let workDir: string;
  let es: ElasticsearchHandle | undefined;

  beforeAll(async () => {
    workDir = await realpath(await mkdtemp(join(tmpdir(), 'medic-es-int-')));
  });

  afterAll(async () => {
    await es?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  it('indexes and searches a document, and stops without leaving a process behind', async () => {
    es = await startElasticsearch({ workDir, log });
    const client = new Client({ node: es.url });
    const index = 'medic-devstack-int';
    let serverPids: number[] = [];
    try {
      await client.index({ index, id: 'kill-1', document: { target_module: 'nginx-test', risk_score: 0.4 }, refresh: 'wait_for' });
      const found = await client.search<{ target_module: string }>({ index, query: { match: { target_module: 'nginx-test' } } });
      expect(found.hits.hits.map((hit) => [hit._id, hit._source?.target_module])).toEqual([['kill-1', 'nginx-test']]);
      serverPids = [await serverJvm(es.url)];
    } finally {
      await client.close();
    }
    expect(serverPids).toHaveLength(1);
    expect(processesIn(workDir)).not.toEqual([]);

    await es.stop();

    expect(serverPids.filter(isAlive)).toEqual([]);
    expect(processesIn(workDir)).toEqual([]);
    await expect(fetch(es.url)).rejects.toThrow();
  });

  it('keeps its indices and its URL when started again on the same workDir', async () => {
    const before = es?.url;
    if (!before) throw new Error('the first test did not start a node');
    es = await startElasticsearch({ workDir, log, elasticsearchHttpPort: Number(new URL(before).port) });
    expect(es.url).toBe(before);
    const client = new Client({ node: es.url });
    try {
      const found = await client.get<{ target_module: string }>({ index: 'medic-devstack-int', id: 'kill-1' });
      expect(found._source?.target_module).toBe('nginx-test');
    } finally {
      await client.close();
    }
  });

  it('answers whether it is alive, not while its server JVM is frozen; killed as a run, neither JVM is left and it starts again', async () => {
    const node = es;
    if (!node) throw new Error('the first test did not start a node');
    const { server } = node;
    expect(await server.answers!(3_000)).toBe(true);
    const jvm = await serverJvm(node.url);
    const run = server.current();
    try {
      await freeze(jvm);
      expect(await server.answers!(1_000)).toBe(false);
    } finally {
      // What medic up does to a node that stopped answering: the launcher alone would leave the frozen JVM holding the port.
      run.killOutright!();
    }
    await run.exited;
    await waitFor(() => (isAlive(jvm) ? Promise.reject(new Error(`pid ${jvm} is alive`)) : Promise.resolve()), {
      timeoutMs: 10_000,
      onTimeout: (last) => new Error(`the frozen server JVM was left: ${last}`),
    });
    await server.restart();
    expect(await server.answers!(3_000)).toBe(true);
    const client = new Client({ node: node.url });
    try {
      expect((await client.get<{ target_module: string }>({ index: 'medic-devstack-int', id: 'kill-1' }))._source?.target_module).toBe('nginx-test');
    } finally {
      await client.close();
    }
  });
});
