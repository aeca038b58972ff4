import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { run, toolMissing } from './commands';
import { DevstackError } from './errors';
import { publish } from './kafka-jars';
import { repoRoot } from './repo';

export interface ElasticsearchDist {
  readonly version: string;
  /** ES_HOME: holds bin/elasticsearch, lib/ and modules/; read-only once cached. */
  readonly home: string;
}

const MAVEN_TIMEOUT_MS = 10 * 60_000;
/** The Java versions Elasticsearch 8.19 runs on; newer JDKs are untested by Elastic for it. */
const MIN_JAVA = 17;
const MAX_JAVA = 25;
const JDK_FOLDER = '/usr/lib/jvm';

/** The pom is the one place the Elasticsearch version is written; the cache folder is named after it. */
export function elasticsearchVersion(pom: string): string {
  const version = /<elasticsearch\.version>\s*([^<\s]+)\s*<\/elasticsearch\.version>/.exec(readFileSync(pom, 'utf8'))?.[1];
  if (!version) throw new Error(`${pom} has no <elasticsearch.version> property`);
  return version;
}

/**
 * Returns the cached distribution, fetching and unpacking it with Maven on first use. Maven
 * unpacks into a private staging folder that is renamed into place only once checked, so a
 * crashed fetch leaves no half-filled cache and two processes fetching at once both succeed.
 */
export async function ensureElasticsearch(cacheDir: string, log: (line: string) => void): Promise<ElasticsearchDist> {
  const pom = join(repoRoot(), 'deploy', 'elasticsearch', 'pom.xml');
  const version = elasticsearchVersion(pom);
  const dir = join(cacheDir, 'elasticsearch', version);
  const home = join(dir, `elasticsearch-${version}`);
  if (existsSync(home)) return { version, home };

  await mkdir(dir, { recursive: true });
  const staging = join(dir, `.unpack-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    log(`elasticsearch: fetching Elasticsearch ${version} (about 100 MB) from Maven Central into ${dir} (first run only)`);
    await unpackWithMaven(pom, staging, version);
    const unpacked = join(staging, `elasticsearch-${version}`);
    checkDistribution(unpacked, version);
    await shareReadOnly(unpacked);
    await publish(unpacked, home);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { version, home };
}

/** Strict checksums: a download that does not match Central's checksum fails instead of being unpacked. */
async function unpackWithMaven(pom: string, staging: string, version: string): Promise<void> {
  const args = ['-B', '-q', '--strict-checksums', '-Dstyle.color=never', '-f', pom, 'dependency:unpack', `-DoutputDirectory=${staging}`];
  await run('mvn', args, { timeoutMs: MAVEN_TIMEOUT_MS }, ({ missing, output }) =>
    missing
      ? toolMissing('mvn', 'install Maven 3.6+ (Debian: apt-get install maven)')
      : new DevstackError('ELASTICSEARCH_FETCH_FAILED', `mvn could not fetch Elasticsearch ${version}: ${output}`, true),
  );
}

/** The zip holds the version's server jar and an executable launcher, or it is not what we asked for. */
function checkDistribution(home: string, version: string): void {
  const jar = join(home, 'lib', `elasticsearch-${version}.jar`);
  const launcher = join(home, 'bin', 'elasticsearch');
  if (!existsSync(jar)) throw new DevstackError('ELASTICSEARCH_FETCH_FAILED', `mvn finished but ${home} has no lib/elasticsearch-${version}.jar`);
  try {
    accessSync(launcher, constants.X_OK);
  } catch {
    throw new DevstackError('ELASTICSEARCH_FETCH_FAILED', `mvn finished but ${launcher} is missing or not executable`);
  }
}

/**
 * The zip keeps its config files private to their owner (0660); every user that runs a node
 * from the shared cache copies them (and medic-es reads lib/ and modules/), so all may read.
 */
async function shareReadOnly(home: string): Promise<void> {
  await run('chmod', ['-R', 'a+rX', home], { timeoutMs: 60_000 }, ({ output }) =>
    new DevstackError('ELASTICSEARCH_FETCH_FAILED', `could not make ${home} readable to all: ${output}`),
  );
}

/**
 * The JDK to run Elasticsearch on: ES_JAVA_HOME when set, else the newest JDK from 17 to 25
 * among those installed in /usr/lib/jvm, JAVA_HOME and the `java` on PATH. The integration
 * distribution has no bundled JDK.
 */
export function elasticsearchJavaHome(): string {
  const given = process.env['ES_JAVA_HOME'];
  if (given) return given;
  const candidates = [...installedJdks(), process.env['JAVA_HOME'], javaHomeOnPath()];
  let best: { home: string; major: number } | undefined;
  for (const home of candidates) {
    const major = home ? javaMajor(home) : undefined;
    if (home && major && major >= MIN_JAVA && major <= MAX_JAVA && major > (best?.major ?? 0)) best = { home, major };
  }
  if (!best) {
    const hint = `Elasticsearch needs a JDK ${MIN_JAVA} to ${MAX_JAVA} (Debian: apt-get install openjdk-17-jre-headless) or ES_JAVA_HOME pointing at one`;
    throw toolMissing('java', hint);
  }
  return best.home;
}

function installedJdks(): string[] {
  try {
    return readdirSync(JDK_FOLDER).map((name) => join(JDK_FOLDER, name));
  } catch {
    return [];
  }
}

function javaHomeOnPath(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const java = join(dir, 'java');
    if (dir && existsSync(java)) return dirname(dirname(realpathSync(java)));
  }
  return undefined;
}

/** From the `release` file every JDK since 9 carries: JAVA_VERSION="25.0.3". */
function javaMajor(home: string): number | undefined {
  try {
    if (!existsSync(join(home, 'bin', 'java'))) return undefined;
    const version = /^JAVA_VERSION="(\d+)/m.exec(readFileSync(join(home, 'release'), 'utf8'))?.[1];
    return version ? Number(version) : undefined;
  } catch {
    return undefined;
  }
}
