import { DEPENDENCIES_ACTOR, printable, round4, type HealthChecked, type KillEvent, type KillReported } from '@medic/domain';
import type { LoggedEvent } from '@medic/eventlog';

/** A record of the kill this build could not decode, named where it stands in the log. */
export interface UnreadableRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly code: string;
  readonly reason: string;
}

/** Where an unreadable record is and why it could not be read. */
export function describeUnreadable(r: UnreadableRecord): string {
  return `${r.topic}/${r.partition}@${r.offset} (${r.code}): ${r.reason}`;
}

/** One line (plus detail lines) per event of a kill, and per record that could not be read, in log order, for auditors. */
export function formatTimeline(killId: string, events: readonly LoggedEvent<KillEvent>[], unreadable: readonly UnreadableRecord[] = []): string {
  const count = `${events.length} events${unreadable.length > 0 ? `, ${unreadable.length} unreadable` : ''}`;
  const lines = [`Timeline of kill ${killId} (${count}, from the log)`];
  // In log order: a kill's records share its partition, so the offset places an unreadable one among the rest.
  type Entry = { readonly event: LoggedEvent<KillEvent>; readonly record?: never } | { readonly event?: never; readonly record: UnreadableRecord };
  const placeOf = (x: Entry) => x.event ?? x.record;
  const entries: Entry[] = [...events.map((event) => ({ event })), ...unreadable.map((record) => ({ record }))].sort(
    (a, b) => placeOf(a).partition - placeOf(b).partition || Number(BigInt(placeOf(a).offset) - BigInt(placeOf(b).offset)),
  );
  const seen = { context: false, decision: false };
  for (const { event: e, record: r } of entries) {
    if (r !== undefined) {
      lines.push(`  unreadable record ${describeUnreadable(r)}`);
      continue;
    }
    const note = e.data.type === 'ContextEnriched' ? lateContext(seen) : '';
    if (e.data.type === 'ContextEnriched') seen.context = true;
    if (e.data.type === 'DecisionMade') seen.decision = true;
    lines.push(`${e.time}  ${e.data.type.padEnd(22)} ${summary(e.data)}${note}  [${e.source} ${e.topic}/${e.partition}@${e.offset} id=${e.id}${e.causationId ? ` cause=${e.causationId}` : ''}]`);
    for (const detail of details(e.data)) lines.push(`      ${detail}`);
  }
  // Reasons, evidence and notes are other people's text: none of it may move the auditor's cursor or start a line of its own.
  return lines.map(printable).join('\n');
}

/**
 * A SIEM answer that came after the kill already had one (the workflow decides with the first:
 * its own "unavailable" at the deadline, say) or after the decision, so that an auditor does not
 * read it as what the decision weighed.
 */
function lateContext(seen: { readonly context: boolean; readonly decision: boolean }): string {
  const why = [seen.decision ? 'came after the decision' : null, seen.context ? "not used: the kill's first SIEM context is the one that counts" : null].filter((w) => w !== null);
  return why.length > 0 ? ` (${why.join('; ')})` : '';
}

function summary(e: KillEvent): string {
  switch (e.type) {
    case 'KillReported':
      return `${e.report.targetModule}/${e.report.targetInstanceId} killed by ${e.report.sourceAgent}: ${e.report.killReason}, severity ${e.report.severity}, confidence ${e.report.confidenceScore}${e.enrichmentDeadline ? `; waiting for SIEM context until ${e.enrichmentDeadline}` : ''}`;
    case 'ContextEnriched':
      return e.siemStatus === 'used'
        ? `SIEM used: risk ${e.riskScore}, ${e.threatIndicators.length} indicators, ${e.falsePositiveHistory} false positives${e.ignoredFields.length > 0 ? `, ${e.ignoredFields.length} fields ignored` : ''}${e.unusableIndicators > 0 ? `, ${e.unusableIndicators} indicators unusable` : ''}`
        : `SIEM unavailable: ${e.failureReason ?? 'no reason given'}`;
    case 'EnrichmentRequested':
      return `waiting for SIEM context until ${e.deadline}`;
    case 'RiskAssessed':
      return `risk ${e.assessment.score} (${e.assessment.level}), coverage ${e.assessment.coverage}`;
    case 'DecisionMade':
      return `${e.decision.outcome}${e.decision.observeOnly ? ' (observe only)' : ''} — ${e.decision.recommendedAction}; mode ${e.decision.mode}, confidence ${e.decision.confidence} (decision ${e.decision.decisionId})`;
    case 'ApprovalRequested':
      return `approval requested (item ${e.queueItemId}, expires ${e.expiresAt}): ${e.reason}`;
    case 'ApprovalGranted':
      return `approved by ${e.approver} at ${e.at}${e.notes ? `: ${e.notes}` : ''}`;
    case 'CommandRejected':
      return `${e.commandType} from ${e.actor} rejected (${e.code}): ${e.reason}`;
    case 'ApprovalDenied':
      return `denied by ${e.denier} at ${e.at}: ${e.reason}`;
    case 'ApprovalExpired':
      return `approval expired at ${e.at}: no one answered in time`;
    case 'VetoRequested':
      return `pre-resurrection notice ${e.attempt} to Smith on ${e.noticeTopic} (answer on ${e.replyTo} by ${e.deadline})`;
    case 'VetoCleared':
      return e.basis === 'approve' ? `Smith cleared the resurrection: ${e.reason}` : `the resurrection proceeds by the configured default (${e.basis}): ${e.reason}`;
    case 'VetoDeferred':
      return `Smith deferred (${e.defers}): ${e.reason}; asking again at ${e.askAgainAt}`;
    case 'ResurrectionVetoed':
      return e.basis === 'veto' ? `Smith vetoed: ${e.reason}` : `the resurrection is called off by the configured default (${e.basis}): ${e.reason}`;
    case 'ResurrectionStarted':
      return `resurrecting ${e.targetModule}/${e.targetInstanceId}, attempt ${e.attempt}, approved by ${e.approvedBy}`;
    case 'ResurrectionSucceeded':
      return `${e.action} of container ${e.containerId} in ${e.durationMs} ms`;
    case 'ResurrectionFailed':
      return `failed${e.retriable ? ' (retriable)' : ''}: ${e.reason}`;
    case 'StabilityConfirmed':
      return `stable after ${e.timeToStableSeconds}s`;
    case 'AnomalyDetected':
      return `anomaly score ${e.anomalyScore}: ${e.findings.join('; ')}`;
    case 'AnomalyCleared':
      return `anomaly cleared: ${e.reason}`;
    case 'HealthChecked':
      return `health check: ${describeCheck(e)}`;
    case 'RollbackRequested':
      return `rollback requested by ${e.actor}: ${e.reason}`;
    case 'RollbackStarted':
      return `rollback by ${e.actor}: ${e.reason}`;
    case 'RollbackCompleted':
      return `rolled back`;
    case 'RollbackFailed':
      return `rollback failed: ${e.reason}`;
    case 'OutcomeRecorded':
      return `outcome ${e.result}${e.timeToStableSeconds !== null ? `, stable in ${e.timeToStableSeconds}s` : ''}`;
    case 'ResurrectionDeferred':
      return e.waitsForKillIds.length > 0
        ? `held back until ${e.notBefore} for what it depends on (kills ${e.waitsForKillIds.join(', ')}): ${e.reason}`
        : `held back until ${e.notBefore} (backoff attempt ${e.attempt}): ${e.reason}`;
    case 'ResurrectionResumed':
      if (e.attempt > 0) return `wait before attempt ${e.attempt} over (due ${e.notBefore}); the refused start is tried again`;
      return e.resumedBy === DEPENDENCIES_ACTOR
        ? `what it waited for is back or settled (its next look was due ${e.notBefore}); the resurrection approved by ${e.approvedBy} goes ahead unless it must wait again`
        : `wait over (due ${e.notBefore}); the resurrection approved by ${e.approvedBy} goes ahead unless it must wait again`;
  }
}

function details(e: KillEvent): string[] {
  if (e.type === 'KillReported') return reportDetails(e);
  if (e.type === 'ContextEnriched') {
    return [
      ...(e.recommendation ? [`SIEM recommends: ${e.recommendation}`] : []),
      ...e.threatIndicators.map((i) => `indicator: ${i.indicatorType} ${i.value} (score ${i.threatScore}, ${i.source}, last seen ${i.lastSeen}${i.tags.length > 0 ? `, tags ${i.tags.join(', ')}` : ''})`),
      ...e.ignoredFields.map((field) => `ignored: ${field}`),
    ];
  }
  if (e.type === 'OutcomeRecorded') {
    return [
      ...e.lessonsLearned.map((lesson) => `lesson: ${lesson}`),
      ...(e.humanFeedback ? [`human feedback: ${e.humanFeedback}`] : []),
      ...(e.smithFeedback ? [`Smith's feedback: ${e.smithFeedback}`] : []),
    ];
  }
  if (e.type === 'RiskAssessed') {
    return e.assessment.factors.map((f) => `${f.name}: ${f.contribution} (= ${round4(f.normalized)} × ${round4(f.weight)}) — ${f.explanation}`);
  }
  if (e.type === 'DecisionMade') return e.decision.reasoning.map((r, i) => `${i + 1}. ${r}`);
  if (e.type === 'ResurrectionVetoed' || e.type === 'VetoDeferred') return e.newEvidence.map((item) => `evidence: ${item}`);
  return [];
}

/** What Smith said of the kill, beside what the summary line shows. */
function reportDetails(e: KillReported): string[] {
  const r = e.report;
  const metadata = Object.entries(r.metadata);
  return [
    `Smith's report: killed at ${r.timestamp}, correlation ${e.correlationId ?? 'none'}, answers on ${e.replyTo ?? 'the response topic'}, ${e.signedBy ? `signed by ${e.signedBy}` : 'unsigned'}${e.smithVersion ? `, message version ${e.smithVersion}` : ''}`,
    ...(e.ignoredFields.length > 0 ? [`left out, unknown to this Medic (added by version ${e.smithVersion ?? '1.x'}): ${e.ignoredFields.join(', ')}`] : []),
    ...r.evidence.map((item) => `evidence: ${item}`),
    ...(r.dependencies.length > 0 ? [`modules depending on it: ${r.dependencies.join(', ')}`] : []),
    ...(metadata.length > 0 ? [`metadata: ${metadata.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}`] : []),
  ];
}

function describeCheck(e: HealthChecked): string {
  const c = e.container;
  const container =
    c === null
      ? 'container gone'
      : c.running
        ? `running${c.health === 'none' ? '' : ` (${c.health})`}${c.restartCount > 0 ? `, ${c.restartCount} restarts` : ''}`
        : `${c.status}${c.exitCode === null ? '' : `, exit code ${c.exitCode}`}${c.oomKilled ? ', OOM-killed' : ''}`;
  const failed = e.probes.filter((p) => !p.ok);
  if (e.probes.length === 0) return container;
  if (failed.length === 0) return `${container}; ${e.probes.length === 1 ? 'its probe' : `all ${e.probes.length} probes`} ok`;
  return `${container}; ${failed.map((p) => `${p.name}: ${p.detail}`).join('; ')}`;
}
