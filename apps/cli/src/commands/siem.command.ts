import { Client } from '@elastic/elasticsearch';
import { readSiemCa } from '@medic/config';
import { ensureSiemTemplates, sampleSiemData, writeSiemDocuments } from '../../../enrichment/src/siem/seed';
import { parseCommandArgs } from '../cli-args';
import { CliError, cliConfig } from '../cli-config';

/**
 * `medic siem seed`: index templates and realistic sample indicators and
 * module events in the configured SIEM (the stack's Elasticsearch under
 * `medic up`), for demos: payments-api looks compromised, report-cache is a
 * known false positive, nginx-test is quiet.
 */
export async function siemSeed(args: readonly string[], out: (text: string) => void): Promise<void> {
  parseCommandArgs(args, { usage: 'usage: medic siem seed', options: {} });
  const config = cliConfig();
  const { endpoint, elasticsearch: es, api_key: apiKey } = config.siem;
  const ca = readSiemCa(config);
  const client = new Client({ node: endpoint, ...(apiKey ? { auth: { apiKey } } : {}), ...(ca ? { tls: { ca } } : {}), requestTimeout: 30_000 });
  try {
    if (!(await client.cluster.health().then(() => true, () => false))) throw new CliError(`no Elasticsearch answers at ${endpoint} (start one with \`medic up\`, or set SIEM_ENDPOINT)`);
    await ensureSiemTemplates(client, es);
    const written = await writeSiemDocuments(client, es, sampleSiemData(new Date(), es), 'medic-sample');
    out(`seeded ${endpoint}: ${written} documents into ${es.indicators_index} and ${es.module_events_index} (payments-api: strong indicators; report-cache: false positives; nginx-test: quiet)`);
  } finally {
    await client.close();
  }
}
