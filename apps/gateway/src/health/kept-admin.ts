import type { Admin, Kafka } from 'kafkajs';
import { withTimeout } from '@medic/devstack';

/**
 * One broker admin connection for the health and status checks, kept open
 * between requests: a probe every second, or a dashboard's, costs the broker a
 * request, not a connection and a metadata round each time. A check that
 * fails or does not answer in time drops the connection (closed in the
 * background), so the next check starts on a fresh one: a restarted broker or
 * a connection gone half-open is never waited on twice.
 */
export class KeptAdmin {
  private admin: Promise<Admin> | null = null;

  constructor(private readonly kafka: Kafka) {}

  /** What `work` gives with the kept connection, within `ms`; it throws when it fails or runs late. */
  async use<T>(ms: number, work: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = (this.admin ??= this.connect());
    try {
      return await withTimeout(
        admin.then((a) => work(a)),
        ms,
        () => new Error(`the broker did not answer within ${ms} ms`),
      );
    } catch (error) {
      this.drop(admin);
      throw error;
    }
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = null;
    if (admin) await admin.then((a) => a.disconnect()).catch(() => undefined);
  }

  private async connect(): Promise<Admin> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      return admin;
    } catch (error) {
      void admin.disconnect().catch(() => undefined);
      throw error;
    }
  }

  private drop(admin: Promise<Admin>): void {
    if (this.admin !== admin) return;
    this.admin = null;
    void admin.then((a) => a.disconnect()).catch(() => undefined);
  }
}
