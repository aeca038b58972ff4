import type { SecuredListener } from './kafka-config';
import type { ExitStatus } from './stack-state';

/** One run of a server process. */
export interface ServerRun {
  readonly pid: number;
  /** Resolves when this run's process has ended, however it ended. */
  readonly exited: Promise<ExitStatus>;
  /** Kills the run outright (SIGKILL), every process of it; absent: killing `pid` is enough. */
  killOutright?(): void;
}

/** A server of the stack that can be started again after it died, with the same ports and data. */
export interface RestartableServer {
  readonly logFile: string;
  /** The run serving now, or the last one once it has ended. */
  current(): ServerRun;
  /** Starts a new run once the last has ended; resolves when it serves, rejects when it did not come up. */
  restart(): Promise<void>;
  /**
   * Whether the run serving now answers at all within `timeoutMs` (an error
   * answer counts). Absent: it is not asked, only watched for its exit.
   */
  answers?(timeoutMs: number): Promise<boolean>;
}

export interface KafkaHandle {
  /** host:port of the PLAINTEXT listener, ready for kafkajs `brokers`. */
  readonly brokers: string;
  /** host:port of the SASL_SSL listener, when `kafkaSecured` asked for one. */
  readonly securedBrokers: string | null;
  /** The broker process; a restart keeps its ports, so `brokers` stays right. */
  readonly server: RestartableServer;
  stop(): Promise<void>;
}

export interface PostgresHandle {
  readonly url: string;
  /** False when the handle points at a server given through `databaseUrl` / `DATABASE_URL`. */
  readonly embedded: boolean;
  /** The embedded server (same port and data after a restart); null for a server given by URL. */
  readonly server: RestartableServer | null;
  stop(): Promise<void>;
}

export interface StackHandle {
  readonly kafka: KafkaHandle;
  readonly postgres: PostgresHandle;
  stop(): Promise<void>;
}

export type KafkaJit = 'quick' | 'standard';

export interface DevstackOptions {
  /** Where data and logs go, e.g. `<repo>/.medic/stack` or a temp folder; reused data survives restarts. */
  readonly workDir: string;
  /** When set (or `DATABASE_URL` is), use that Postgres server instead of an embedded one. */
  readonly databaseUrl?: string;
  /** Progress lines for a human; server output goes to log files in `workDir`, never here. */
  readonly log?: (line: string) => void;
  /** Download cache shared by all stacks; default `<repo>/.cache`. */
  readonly cacheDir?: string;
  /** `num.partitions` for topics created without an explicit count; default 3. */
  readonly kafkaPartitions?: number;
  /**
   * The broker's JIT. `quick` (default) compiles with C1 only: full speed within
   * seconds and no compiler hogging a small machine, which suits tests and a
   * dev stack. `standard` is the JVM's tiered C1 + C2 that production brokers
   * run: after a minute or so of compiling, each request costs markedly less
   * CPU, which a sustained load (the benchmark) needs.
   */
  readonly kafkaJit?: KafkaJit;
  /** A SASL_SSL listener beside the PLAINTEXT one (see SecuredListener), to try TLS and SASL clients against. */
  readonly kafkaSecured?: SecuredListener;
  /** The embedded Postgres serves TLS only (see PostgresTls), to try `database.url`'s TLS parameters against. */
  readonly postgresTls?: PostgresTls;
}

/**
 * TLS for the embedded Postgres: this certificate and key (PEM), and a
 * connection without TLS refused. The handle's URL asks for TLS and checks the
 * server's certificate against `caFile` (`sslmode=verify-full`).
 */
export interface PostgresTls {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
}
