import { killReport, smithMessage, type MedicUnderTest } from '@medic/testing';

/** A kill report of one of `modules` modules, keyed by its kill id, as Smith sends it. */
export function randomKill(modules: number): { key: string; value: string } {
  const r = killReport({ target_module: `mod-${Math.floor(Math.random() * modules)}` });
  return { key: r.kill_id, value: smithMessage(r) };
}

/** Produces `count` messages from `make`, `rate` per second (0 = as fast as possible), recording send times. */
export async function produce(medic: MedicUnderTest, topic: string, count: number, rate: number, make: (i: number) => { key: string; value: string }): Promise<Map<string, number>> {
  const producer = medic.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const sent = new Map<string, number>();
  const start = performance.now();
  const chunk = rate > 0 ? Math.max(1, Math.round(rate / 100)) : 500;
  for (let i = 0; i < count; i += chunk) {
    if (rate > 0) {
      const due = start + (i / rate) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const msgs = Array.from({ length: Math.min(chunk, count - i) }, (_, j) => make(i + j));
    const t = performance.now();
    await producer.send({ topic, acks: -1, messages: msgs });
    for (const m of msgs) sent.set(m.key, t);
  }
  await producer.disconnect();
  return sent;
}

