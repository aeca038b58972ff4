import { z } from 'zod';

/*
 * Probes the monitor runs against a resurrected module at each health check,
 * per module (resurrection.probes). A probe that fails `failure_threshold`
 * checks in a row weighs as an anomaly; fewer failures are noted, not acted on.
 */

const timeoutSeconds = z.number().positive().max(300, 'must be at most 300').default(5);
const failureThreshold = z.number().int().positive().max(100, 'must be at most 100').default(3);

const httpProbe = z
  .object({
    type: z.literal('http'),
    url: z.string().refine((text) => URL.canParse(text) && /^https?:$/i.test(new URL(text).protocol), 'must be an http(s):// URL'),
    expected_status: z.number().int().min(100, 'must be an HTTP status (100-599)').max(599, 'must be an HTTP status (100-599)').default(200),
    timeout_seconds: timeoutSeconds,
    failure_threshold: failureThreshold,
  })
  .strict();

const tcpProbe = z
  .object({
    type: z.literal('tcp'),
    host: z.string().trim().min(1, 'must not be empty'),
    port: z.number().int().min(1, 'must be a port in 1..65535').max(65_535, 'must be a port in 1..65535'),
    timeout_seconds: timeoutSeconds,
    failure_threshold: failureThreshold,
  })
  .strict();

/** Run inside the module's container through the engine (Docker exec); the command is argv, not a shell line. */
const execProbe = z
  .object({
    type: z.literal('exec'),
    command: z.array(z.string().min(1, 'must not be empty')).min(1, 'must name a program'),
    expected_exit_code: z.number().int().min(0, 'must be an exit code (0-255)').max(255, 'must be an exit code (0-255)').default(0),
    timeout_seconds: timeoutSeconds,
    failure_threshold: failureThreshold,
  })
  .strict();

export const probeSchema = z.discriminatedUnion('type', [httpProbe, tcpProbe, execProbe], {
  errorMap: (issue, ctx) => (issue.code === 'invalid_union_discriminator' ? { message: 'type must be http, tcp or exec' } : { message: ctx.defaultError }),
});

export const probesSchema = (moduleName: z.ZodString) => z.record(moduleName, z.array(probeSchema)).default({});
