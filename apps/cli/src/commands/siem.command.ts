import { Client } from '@elastic/elasticsearch';
import { readSiemCa, redactUrlPassword } from '@medic/config';
import { ensureSiemTemplates, sampleSiemData, writeSiemDocuments } from '../../../enrichment/src/siem/seed';
import { parseCommandArgs } from '../cli-args';
import { CliError, cliConfig, shown } from '../cli-config';

/** How long the SIEM has to say it is there before seeding gives up on it. */
const HEALTH_TIMEOUT_MS = 10_000;

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
  // Said without the password a URL may hold.
  const where = redactUrlPassword(endpoint);
  try {
    try {
      await client.cluster.health({}, { requestTimeout: HEALTH_TIMEOUT_MS, maxRetries: 0 });
    } catch (error) {
      // Why it did not answer: nothing there, a refused key (401), a certificate not trusted…
      throw new CliError(`Elasticsearch at ${where} did not answer: ${shown(error instanceof Error ? error.message : String(error)).replaceAll(endpoint, where)} (start one with \`medic up\`, or set SIEM_ENDPOINT, SIEM_API_KEY or siem.ca_file)`);
    }
    await ensureSiemTemplates(client, es);
    const written = await writeSiemDocuments(client, es, sampleSiemData(new Date(), es), 'medic-sample');
    out(`seeded ${where}: ${written} documents into ${es.indicators_index} and ${es.module_events_index} (payments-api: strong indicators; report-cache: false positives; nginx-test: quiet)`);
  } finally {
    await client.close();
  }
}
