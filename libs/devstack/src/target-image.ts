import { createReadStream } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { run, toolMissing } from './commands';
import { type ContainerEngineHandle } from './container-engine';
import { DevstackError, messageOf } from './errors';

/** A module for Medic to bring back: busybox httpd serving /www, health page at /health. */
export const TARGET_IMAGE = 'medic/target:latest';
export const TARGET_PORT = 8080;
export const TARGET_HEALTH_PATH = '/health';

/** Bumped whenever the recipe below changes, so an engine holding an older build rebuilds it. */
const RECIPE_VERSION = '1';
const RECIPE_LABEL = 'medic.target.recipe';
/** Debian's busybox-static puts its binary here. */
const DEFAULT_BUSYBOX = '/bin/busybox';
const APPLETS = ['sh', 'httpd', 'wget'];

export interface TargetImage {
  readonly name: string;
  readonly id: string;
  /** False when the engine already had it. */
  readonly built: boolean;
}

export interface TargetImageOptions {
  /** A statically linked busybox; default /bin/busybox (Debian: apt-get install busybox-static). */
  readonly busybox?: string;
  readonly log?: (line: string) => void;
}

/**
 * Makes sure the engine has {@link TARGET_IMAGE}, built here without a registry: a rootfs of
 * one static busybox, imported through the API (`POST /images/create?fromSrc=-`).
 */
export async function ensureTargetImage(engine: Pick<ContainerEngineHandle, 'socket'>, opts: TargetImageOptions = {}): Promise<TargetImage> {
  const docker = new Docker({ socketPath: engine.socket });
  const present = await currentImageId(docker);
  if (present) return { name: TARGET_IMAGE, id: present, built: false };
  const busybox = opts.busybox ?? DEFAULT_BUSYBOX;
  await checkStatic(busybox);
  const workDir = await mkdtemp(join(tmpdir(), 'medic-target-'));
  try {
    const tarball = await packRootfs(busybox, workDir);
    await importTarball(docker, tarball);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  const id = await currentImageId(docker);
  if (!id) throw new DevstackError('TARGET_IMAGE_FAILED', `the engine accepted the import but has no ${TARGET_IMAGE} of recipe ${RECIPE_VERSION} afterwards`);
  opts.log?.(`container engine: built ${TARGET_IMAGE} (${id.slice(0, 19)}) from ${busybox}`);
  return { name: TARGET_IMAGE, id, built: true };
}

async function currentImageId(docker: Docker): Promise<string | undefined> {
  try {
    const image = await docker.getImage(TARGET_IMAGE).inspect();
    return image.Config.Labels?.[RECIPE_LABEL] === RECIPE_VERSION ? image.Id : undefined;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw new DevstackError('TARGET_IMAGE_FAILED', `could not look up ${TARGET_IMAGE}: ${messageOf(error)}`, false, { cause: error });
  }
}

/** A dynamically linked busybox would fail in the image with a bare "no such file or directory". */
async function checkStatic(busybox: string): Promise<void> {
  const binary = await readFile(busybox).catch(() => undefined);
  if (!binary) throw toolMissing(busybox, 'the target image is built from a static busybox (Debian: apt-get install busybox-static)');
  if (!isStaticElf(binary)) {
    throw new DevstackError('TARGET_IMAGE_FAILED', `${busybox} is not a statically linked 64-bit ELF binary; the target image needs one (Debian: apt-get install busybox-static)`);
  }
}

const PT_INTERP = 3;

/** A 64-bit little-endian ELF file none of whose program headers names an interpreter. */
export function isStaticElf(binary: Buffer): boolean {
  const elf64LittleEndian = binary.length >= 64 && binary.readUInt32BE(0) === 0x7f454c46 && binary[4] === 2 && binary[5] === 1;
  if (!elf64LittleEndian) return false;
  const offset = Number(binary.readBigUInt64LE(0x20));
  const entrySize = binary.readUInt16LE(0x36);
  const count = binary.readUInt16LE(0x38);
  for (let i = 0; i < count; i += 1) {
    const at = offset + i * entrySize;
    if (at + entrySize > binary.length || binary.readUInt32LE(at) === PT_INTERP) return false;
  }
  return true;
}

async function packRootfs(busybox: string, workDir: string): Promise<string> {
  const root = join(workDir, 'rootfs');
  await mkdir(join(root, 'bin'), { recursive: true });
  await mkdir(join(root, 'www'));
  await mkdir(join(root, 'tmp'));
  await copyFile(busybox, join(root, 'bin', 'busybox'));
  await chmod(join(root, 'bin', 'busybox'), 0o755);
  await Promise.all(APPLETS.map((applet) => symlink('busybox', join(root, 'bin', applet))));
  await writeFile(join(root, 'www', 'index.html'), '<!doctype html><title>medic target</title><p>A module Medic can bring back.</p>\n');
  await writeFile(join(root, 'www', TARGET_HEALTH_PATH.slice(1)), 'ok\n');
  const tarball = join(workDir, 'rootfs.tar');
  await run('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', root, '-cf', tarball, '.'], { timeoutMs: 60_000 }, ({ missing, output }) =>
    missing ? toolMissing('tar', 'needed to pack the target image') : new DevstackError('TARGET_IMAGE_FAILED', `tar could not pack ${root}: ${output}`),
  );
  return tarball;
}

/**
 * busybox httpd as PID 1 has no SIGTERM handler, and the kernel drops unhandled signals to
 * PID 1: a plain `httpd -f` would only stop on SIGKILL after the engine's grace period. The
 * shell traps SIGTERM and exits 0, as a well-behaved service does.
 */
const COMMAND = ['sh', '-c', `trap 'exit 0' TERM; httpd -f -p ${TARGET_PORT} -h /www & wait`];

async function importTarball(docker: Docker, tarball: string): Promise<void> {
  const [repo, tag] = TARGET_IMAGE.split(':');
  const changes = [`CMD ${JSON.stringify(COMMAND)}`, `EXPOSE ${TARGET_PORT}/tcp`, 'ENV PATH=/bin', `LABEL ${RECIPE_LABEL}=${RECIPE_VERSION}`];
  try {
    const progress = await docker.importImage(createReadStream(tarball), { repo, tag, changes });
    await followToEnd(docker, progress);
  } catch (error) {
    throw new DevstackError('TARGET_IMAGE_FAILED', `the engine could not import ${TARGET_IMAGE}: ${messageOf(error)}`, false, { cause: error });
  }
}

/** The import answers with a stream of JSON progress lines; a failure may come as one of them. */
function followToEnd(docker: Docker, progress: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(progress, (error: Error | null, lines: Array<{ error?: string }>) => {
      const failure = error?.message ?? lines.find((line) => line.error)?.error;
      if (failure) reject(new Error(failure));
      else resolve();
    });
  });
}

export interface DemoTarget {
  readonly name: string;
  readonly id: string;
  /** False when a container of that name was already there (it is started if it was not running). */
  readonly created: boolean;
  /** Where its health page answers on the engine's network, when the engine gave it an address. */
  readonly healthUrl: string | null;
}

/**
 * A running container of {@link TARGET_IMAGE} named `name` and labelled `medic.module=<name>`, for
 * Smith to kill and Medic to bring back (the reboot plan's demo). An existing container of that
 * name is reused, and started if it was stopped.
 */
export async function ensureDemoTarget(engine: Pick<ContainerEngineHandle, 'socket'>, name: string): Promise<DemoTarget> {
  const docker = new Docker({ socketPath: engine.socket });
  try {
    const existing = (await docker.listContainers({ all: true })).find((c) => c.Names.includes(`/${name}`));
    const container = existing
      ? docker.getContainer(existing.Id)
      : await docker.createContainer({ Image: TARGET_IMAGE, name, Labels: { 'medic.module': name } });
    const before = await container.inspect();
    if (!before.State.Running) await container.start();
    const after = await container.inspect();
    const address = Object.values(after.NetworkSettings.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress;
    return { name, id: after.Id, created: existing === undefined, healthUrl: address ? `http://${address}:${TARGET_PORT}${TARGET_HEALTH_PATH}` : null };
  } catch (error) {
    throw new DevstackError('DEMO_TARGET_FAILED', `could not run the demo target ${name}: ${messageOf(error)}`, false, { cause: error });
  }
}
