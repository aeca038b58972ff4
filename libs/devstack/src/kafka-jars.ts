import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { run, toolMissing } from './commands';
import { DevstackError } from './errors';
import { repoRoot } from './repo';

export interface KafkaJars {
  readonly version: string;
  /** Folder of jars; `<libs>/*` is the broker's class path. */
  readonly libs: string;
}

const MAVEN_TIMEOUT_MS = 10 * 60_000;

/** The pom is the one place the Kafka version is written; the cache folder is named after it. */
export function kafkaVersion(pom: string): string {
  const version = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(readFileSync(pom, 'utf8'))?.[1];
  if (!version) throw new Error(`${pom} has no <kafka.version> property`);
  return version;
}

/**
 * Returns the cached jars, fetching them with Maven on first use. Maven writes into a private
 * staging folder that is renamed into place only when complete, so a crashed fetch leaves no
 * half-filled cache and two processes fetching at once both end up with a whole copy.
 */
export async function ensureKafkaJars(cacheDir: string, log: (line: string) => void): Promise<KafkaJars> {
  const pom = join(repoRoot(), 'deploy', 'kafka', 'pom.xml');
  const version = kafkaVersion(pom);
  const home = join(cacheDir, 'kafka', version);
  const libs = join(home, 'libs');
  if (existsSync(libs)) return { version, libs };

  await mkdir(home, { recursive: true });
  const staging = join(home, `.libs-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    log(`kafka: fetching Kafka ${version} from Maven Central into ${libs} (first run only)`);
    await fetchWithMaven(pom, staging, version);
    await publish(staging, libs);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { version, libs };
}

/** The command CI runs too (see deploy/kafka/pom.xml): errors only, without colour codes, as they end up in our messages. */
function mavenFetchArgs(pom: string, outputDirectory: string): string[] {
  const goal = ['dependency:copy-dependencies', `-DoutputDirectory=${outputDirectory}`, '-DincludeScope=runtime'];
  return ['-B', '-q', '-Dstyle.color=never', '-f', pom, ...goal];
}

async function fetchWithMaven(pom: string, staging: string, version: string): Promise<void> {
  await run('mvn', mavenFetchArgs(pom, staging), { timeoutMs: MAVEN_TIMEOUT_MS }, ({ missing, output }) =>
    missing
      ? toolMissing('mvn', 'install Maven 3.6+ (Debian: apt-get install maven)')
      : new DevstackError('KAFKA_FETCH_FAILED', `mvn could not fetch Kafka ${version}: ${output}`, true),
  );
  if (!existsSync(join(staging, `kafka_2.13-${version}.jar`))) {
    throw new DevstackError('KAFKA_FETCH_FAILED', `mvn finished but ${staging} has no kafka_2.13-${version}.jar`);
  }
}

/** Renames a complete staging folder into the cache; losing the race to another process is fine. */
export async function publish(staging: string, libs: string): Promise<void> {
  try {
    await rename(staging, libs);
  } catch (error) {
    // Another process renamed its complete copy first; ours is redundant, not an error.
    if (!existsSync(libs)) throw error;
  }
}
