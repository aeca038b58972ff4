import { join } from 'node:path';
import { toolMissing } from './commands';
import { type DevstackError } from './errors';

/** JAVA_HOME wins over PATH, as with Kafka's own scripts. */
export function javaCommand(): string {
  const home = process.env['JAVA_HOME'];
  return home ? join(home, 'bin', 'java') : 'java';
}

export function javaMissing(): DevstackError {
  return toolMissing(javaCommand(), 'Kafka needs a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless) or a JAVA_HOME that has one');
}
