import { Partitioners } from 'kafkajs';
import type { MedicConfig } from '@medic/config';
import { parseCommandArgs } from '../cli-args';
import { CliError, cliConfig, cliKafka, readInputFile, shown } from '../cli-config';
import { stopModuleContainer } from '../module-container';
import { parseSmithKill, signatureHeaders, smithKillMessage } from '../smith-reports';

/**
 * `medic smith kill <module> …`: sends a kill report to Smith's topic, as
 * Smith would, for demos and tests; with `--stop` it first really stops the
 * module's container on the container engine. `medic smith replay <file.jsonl>` sends a
 * file of them, one per line (a payload, or a whole envelope), in order.
 */
export async function smithKill(args: readonly string[], out: (text: string) => void): Promise<void> {
  let kill = parseSmithKill(args);
  if (kill.stop) {
    const { container, wasRunning, where } = await stopModuleContainer(kill.module, kill.instance);
    out(`${wasRunning ? 'stopped' : 'found already stopped'} container ${container.name} (${container.id.slice(0, 12)}) of ${kill.module} on ${where}`);
    // The report names the instance stopped, as Smith's would.
    kill = { ...kill, instance: kill.instance ?? container.name };
  }
  const config = cliConfig();
  // Answers on the topic Medic is configured to read them from, as Smith would be told.
  const value = smithKillMessage(kill, new Date(), config.smith.event_bus.response_topic);
  const topic = await send(config, [{ key: kill.killId, value, headers: signatureHeaders(kill, value) }]);
  const signed = kill.signWith ? `, signed with key ${kill.signWith.keyId}` : '';
  out(`sent kill ${kill.killId} of ${kill.module} (${kill.reason}, severity ${kill.severity}, confidence ${kill.confidence}${signed}) to ${topic}`);
}

export async function smithReplay(args: readonly string[], out: (text: string) => void): Promise<void> {
  const file = parseCommandArgs(args, { usage: 'usage: medic smith replay <file.jsonl>', options: {}, positionals: ['<file.jsonl>'] }).positionals[0]!;
  const text = readInputFile(file);
  const config = cliConfig();
  const messages = text
    .split('\n')
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter(({ line }) => line.length > 0)
    .map(({ line, n }) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        throw new CliError(`${shown(file)}:${n}: not JSON`, 2);
      }
      const record = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
      // A line is a whole envelope, or just its payload; it goes as it is, byte for byte, for Medic to judge
      // (parsed and written again, a member named twice would lose one of its values here).
      const whole = 'message_type' in record;
      const payload = ((whole ? record['payload'] : record) ?? {}) as Record<string, unknown>;
      const value = whole ? line : `{"version":"1.0","message_type":"KILL_REPORT","reply_to":${JSON.stringify(config.smith.event_bus.response_topic)},"payload":${line}}`;
      return { key: typeof payload['kill_id'] === 'string' ? payload['kill_id'] : null, value };
    });
  if (messages.length === 0) throw new CliError(`${shown(file)} holds no reports`, 2);
  const topic = await send(config, messages);
  out(`sent ${messages.length} reports from ${file} to ${topic}`);
}

async function send(config: MedicConfig, messages: { key: string | null; value: string; headers?: Record<string, string> }[]): Promise<string> {
  const topic = config.smith.event_bus.topic;
  const producer = (await cliKafka(config, 'smith-simulator')).producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  try {
    await producer.connect();
    await producer.send({ topic, acks: -1, messages });
  } catch (error) {
    throw new CliError(`could not send to ${topic} at ${config.kafka.brokers}: ${(error as Error).message}`);
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
  return topic;
}
