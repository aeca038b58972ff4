import { toDecisionThresholds, type MedicConfig } from '@medic/config';
import type { Kafka } from 'kafkajs';
import { decidedKillFacts, foldWhatIfFacts, laterThresholds, thresholdsSetBy, whatIf, WHAT_IF_EVENT_TYPES, type KillEvent, type LoggedKillCommand, type ThresholdsUpdated, type WhatIfFactsDraft } from '@medic/domain';
import { connectionOf, decodeRecords, describeRecord, header, openDatabase, readLog, RebuildFailed, rebuildProjection, type LoggedEvent, type RebuildResult } from '@medic/eventlog';
import { killIdProblem, printable, shorten } from '@medic/domain';
import { formatUnansweredCommands, unansweredCommands } from '../audit-commands';
import { parseCommandArgs } from '../cli-args';
import { CliError, cliConfig, cliKafka, noSuchLog, shown, topicsPresent } from '../cli-config';
import type { DataSource } from 'typeorm';
import { PROJECTIONS, STATE_REBUILDS } from '../projections';
import { formatWhatIf, parseRecalibrateArgs, whatIfJson, whatIfThresholds } from '../recalibrate';
import { describeUnreadable, formatTimeline, type UnreadableRecord } from '../timeline';
import { formatKillDeadLetters, isAboutKill, killDeadLetter, type KillDeadLetter } from '../audit-dead-letters';

/** `medic replay audit <kill_id> [--json]`: the whole life of one kill, read from the log. */
export async function replayAudit(args: readonly string[], out: (text: string) => void): Promise<void> {
  const { values, positionals } = parseCommandArgs(args, { usage: 'usage: medic replay audit <kill_id> [--json]', options: { json: { type: 'boolean' } }, positionals: ['<kill_id>'] });
  const json = values.json ?? false;
  const killId = positionals[0]!;
  const problem = killIdProblem(killId);
  if (problem !== null) throw new CliError(`"${shown(killId)}" is not a valid kill_id: it ${problem}`, 2);
  const config = cliConfig();
  const kafka = await cliKafka(config, 'cli');
  const dlqTopics = [config.smith.event_bus.dlq_topic, config.kafka.topics.internal_dlq];
  const present = await topicsPresent(kafka, [config.kafka.topics.kill_events, config.kafka.topics.kill_commands, ...dlqTopics]);
  if (!present.has(config.kafka.topics.kill_events)) throw noSuchLog(config, config.kafka.topics.kill_events);
  const events: LoggedEvent<KillEvent>[] = [];
  const unreadable: UnreadableRecord[] = [];
  await readLog(kafka, config.kafka.topics.kill_events, async (records) => {
    const about = records.messages.filter((m) => header(m.headers, 'ce_subject') === killId);
    // A record this build cannot read is named, never fatal: the rest of the kill's life is still told.
    const decoded = decodeRecords('kill', { ...records, messages: about });
    events.push(...decoded.events);
    for (const r of decoded.rejected) unreadable.push({ topic: records.topic, partition: records.partition, offset: r.offset, code: r.code, reason: r.reason });
    await Promise.resolve();
  });
  const deadLetters = await deadLettersAbout(kafka, config, killId, present);
  const commands = present.has(config.kafka.topics.kill_commands) ? await commandsAbout(kafka, config.kafka.topics.kill_commands, killId) : [];
  if (events.length === 0 && unreadable.length === 0 && deadLetters.length === 0 && commands.length === 0) {
    throw new CliError(`no events for kill ${killId} in ${config.kafka.topics.kill_events}, and no dead letter or command about it`, 1);
  }
  events.sort((a, b) => (a.partition - b.partition) || Number(BigInt(a.offset) - BigInt(b.offset)));
  const unanswered = unansweredCommands(commands, events);
  const extras = [
    ...(unanswered.length > 0 ? [formatUnansweredCommands(killId, unanswered)] : []),
    ...(deadLetters.length > 0 ? [formatKillDeadLetters(killId, deadLetters, events.length > 0)] : []),
  ];
  if (json) {
    out(JSON.stringify(events, null, 2));
    for (const r of unreadable) process.stderr.write(`medic: unreadable record ${printable(describeUnreadable(r))}\n`);
    for (const text of extras) process.stderr.write(`${text}\n`);
    return;
  }
  const timeline = events.length > 0 || unreadable.length > 0 ? [formatTimeline(killId, events, unreadable)] : [];
  out([...timeline, ...extras].join('\n'));
}

/**
 * What the dead-letter topics hold about a kill: reports of it the listener refused (a repeat with other
 * content, a report that broke the contract) and records of it a step could not handle. A topic not made
 * yet holds nothing.
 */
/** The operators' and timers' commands about a kill, in log order (they are keyed by kill, so all on one partition). */
async function commandsAbout(kafka: Kafka, topic: string, killId: string): Promise<LoggedEvent<LoggedKillCommand>[]> {
  const commands: LoggedEvent<LoggedKillCommand>[] = [];
  await readLog(kafka, topic, async (records) => {
    const about = records.messages.filter((m) => header(m.headers, 'ce_subject') === killId);
    commands.push(...decodeRecords('command', { ...records, messages: about }).events);
    await Promise.resolve();
  });
  return commands;
}

async function deadLettersAbout(kafka: Kafka, config: MedicConfig, killId: string, present: ReadonlySet<string>): Promise<KillDeadLetter[]> {
  const sources = [
    { topic: config.smith.event_bus.dlq_topic, writtenBy: 'listener' },
    { topic: config.kafka.topics.internal_dlq, writtenBy: 'unknown' },
  ];
  const letters: KillDeadLetter[] = [];
  for (const { topic, writtenBy } of sources.filter((s) => present.has(s.topic))) {
    await readLog(kafka, topic, async (records) => {
      for (const m of records.messages) if (isAboutKill(m, killId)) letters.push(killDeadLetter(topic, records.partition, m, writtenBy));
      await Promise.resolve();
    });
  }
  return letters.sort((a, b) => (a.info.failedAt || a.appendedAt).localeCompare(b.info.failedAt || b.appendedAt));
}

/**
 * `medic replay recalibrate [--low N] … [--max-risk-level L] [--min-confidence N]`: every decided kill on
 * the log decided again under other thresholds (the ones in force, with the options over them), beside
 * what was decided and how the resurrections turned out. It reads the log and changes nothing.
 */
export async function replayRecalibrate(args: readonly string[], out: (text: string) => void): Promise<void> {
  const { change, changes, json } = parseRecalibrateArgs(args);
  const config = cliConfig();
  const kafka = await cliKafka(config, 'cli');
  const present = await topicsPresent(kafka, [config.kafka.topics.kill_events, config.kafka.topics.control_events]);
  if (!present.has(config.kafka.topics.kill_events)) throw noSuchLog(config, config.kafka.topics.kill_events);
  const last: { update: ThresholdsUpdated | null } = { update: null };
  // No control log yet: no thresholds were ever set over the configuration's.
  if (present.has(config.kafka.topics.control_events)) {
    await readLog(kafka, config.kafka.topics.control_events, async (records) => {
      for (const { data } of decodeRecords('control', records, (type) => type === 'ThresholdsUpdated' || type === 'ThresholdsRecalibrated').events) {
        const set = thresholdsSetBy(data);
        if (set !== null) last.update = laterThresholds(last.update, set);
      }
      await Promise.resolve();
    });
  }
  const inForce = last.update;
  const current = inForce ?? toDecisionThresholds(config);
  const thresholds = whatIfThresholds(current, change);
  const kills = new Map<string, WhatIfFactsDraft>();
  await readLog(kafka, config.kafka.topics.kill_events, async (records) => {
    for (const { data: e } of decodeRecords('kill', records, (type) => WHAT_IF_EVENT_TYPES.has(type)).events) {
      kills.set(e.killId, foldWhatIfFacts(kills.get(e.killId) ?? {}, e));
    }
    await Promise.resolve();
  });
  const decided = [...kills].flatMap(([killId, draft]) => decidedKillFacts(killId, draft) ?? []);
  if (decided.length === 0) throw new CliError(`no decided kills in ${config.kafka.topics.kill_events}`, 1);
  const summary = whatIf(decided, thresholds, { requireHumanReviewForCritical: config.constraints.require_human_review_for_critical });
  const from = inForce === null ? 'the configuration' : `set by ${inForce.actor} at ${inForce.at}`;
  if (json) out(JSON.stringify(whatIfJson(summary, current, from, changes), null, 2));
  else out(formatWhatIf(summary, current, from, changes));
}

/**
 * `medic replay rebuild [--projection NAME]`: drop projections and fold them again from offset 0. Each
 * is rebuilt in a transaction of its own; one that meets a record it cannot fold and that its live step
 * did not dead-letter is left as it was, the others are rebuilt all the same, and the command exits 1.
 */
export async function replayRebuild(args: readonly string[], out: (text: string) => void): Promise<void> {
  const names = parseProjectionArgs(args);
  const config = cliConfig();
  const kafka = await cliKafka(config, 'cli');
  const wanted = (name: string) => names === null || names.includes(name);
  // Every rebuild reads the kill log (the state rebuilds among others), each projection its own topic: one not there is named at once.
  const needed = [config.kafka.topics.kill_events, ...PROJECTIONS.filter((t) => wanted(t.projection.name)).map((t) => t.topic(config))];
  const present = await topicsPresent(kafka, needed);
  const missing = needed.find((topic) => !present.has(topic));
  if (missing !== undefined) throw noSuchLog(config, missing);
  const deadLetterTopic = config.kafka.topics.internal_dlq;
  const rebuilds = [
    ...PROJECTIONS.filter((t) => wanted(t.projection.name)).map((t) => ({
      schema: t.schema,
      rebuild: (dataSource: DataSource) => rebuildProjection({ kafka, dataSource, projection: t.projection, topic: t.topic(config), live: { step: t.step, deadLetterTopic } }),
    })),
    ...STATE_REBUILDS.filter((r) => wanted(r.name)).map((r) => ({ schema: r.schema, rebuild: (dataSource: DataSource) => r.rebuild({ kafka, dataSource, config }) })),
  ];
  const failed: string[] = [];
  for (const { schema, rebuild } of rebuilds) {
    const dataSource = await openDatabase({ ...connectionOf(config.database, 'replay'), schema: schema.schema, entities: [...schema.entities], ddl: schema.ddl }).catch((error: unknown) => {
      throw new CliError(`could not open Postgres at ${databaseAddress(config.database.url)}: ${error instanceof Error ? error.message : String(error)}`, 1);
    });
    try {
      out(describeRebuild(await rebuild(dataSource)));
    } catch (error) {
      if (!(error instanceof RebuildFailed)) throw error;
      process.stderr.write(`medic: could not rebuild ${printable(error.message)}; ${error.projection} is left as it was\n`);
      failed.push(error.projection);
    } finally {
      await dataSource.destroy();
    }
  }
  if (failed.length > 0) throw new CliError(`${failed.length} of ${rebuilds.length} rebuilds failed (${failed.join(', ')}); each is left as it was`, 1);
}

/** Where a database URL points, without its credentials. */
function databaseAddress(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return '(a DATABASE_URL that is not a URL)';
  }
}

function describeRebuild(r: RebuildResult): string {
  const unread = r.rejected > 0 ? `; ${r.rejected} records it cannot read were passed over (a live step that reads them dead-letters them to the internal dead-letter topic; medic replay audit names them by kill)` : '';
  const head = `rebuilt ${r.projection}: ${r.applied} events applied in ${r.durationMs} ms${unread}`;
  if (r.skipped.length === 0) return head;
  const count = r.skipped.length === 1 ? '1 record' : `${r.skipped.length} records`;
  // The reasons come from the log: shown on one line each, control characters escaped.
  return [`${head}; ${count} left out, as the live step left ${r.skipped.length === 1 ? 'it' : 'them'} out:`, ...r.skipped.map((k) => `  ${printable(describeRecord(k))} ${printable(k.code)}: ${printable(shorten(k.reason, 300))}`)].join('\n');
}


function parseProjectionArgs(args: readonly string[]): string[] | null {
  const known = [...PROJECTIONS.map((t) => t.projection.name), ...STATE_REBUILDS.map((r) => r.name)];
  const { values } = parseCommandArgs(args, {
    usage: 'usage: medic replay rebuild [--projection NAME]…',
    options: { projection: { type: 'string', multiple: true } },
    expects: { projection: `one of ${known.join(', ')}` },
  });
  const names = values.projection ?? [];
  const unknown = names.find((name) => !known.includes(name));
  if (unknown !== undefined) throw new CliError(`unknown projection "${shown(unknown)}"; known: ${known.join(', ')}`, 2);
  return names.length > 0 ? names : null;
}
