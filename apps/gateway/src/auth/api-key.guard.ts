import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { TLSSocket } from 'node:tls';
import type { Request } from 'express';
import type { ApiRole, MedicConfig } from '@medic/config';
import { ApiError, MEDIC_CONFIG } from '@medic/eventlog';
import { authenticate, hasRole, type Principal } from './api-keys';
import { PUBLIC_KEY, ROLE_KEY } from './roles';

export type AuthenticatedRequest = Request & { principal?: Principal };

/** API keys come as `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(MEDIC_CONFIG) private readonly config: MedicConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (this.config.interfaces.web.tls.client_ca_file !== null) requireClientCertificate(req);
    const identity = identify(req, this.config.api.keys);
    if ('refused' in identity) throw identity.refused;
    if (identity.presented === null) throw new ApiError(401, 'unauthorized', 'an API key is required (Authorization: Bearer <key> or X-API-Key)');
    const principal = identity.principal;
    if (!principal) throw new ApiError(401, 'unauthorized', 'the API key is not valid');
    const needed = this.reflector.getAllAndOverride<ApiRole>(ROLE_KEY, targets) ?? 'viewer';
    if (!hasRole(principal, needed)) throw new ApiError(403, 'forbidden', `this needs the ${needed} role; the key has ${principal.role}`);
    req.principal = principal;
    return true;
  }
}

/** The key a request presents and whose it is (null: none, or not valid), or why the request's keys are refused outright. */
export type Identity = { readonly presented: string | null; readonly principal: Principal | null } | { readonly refused: ApiError };

const identities = new WeakMap<Request, Identity>();

/**
 * Who a request is, worked out once per request: the rate limit counts it by
 * its key before the body is read, and this guard then needs the same answer.
 */
export function identify(req: Request, keys: MedicConfig['api']['keys']): Identity {
  let identity = identities.get(req);
  if (identity === undefined) {
    try {
      const presented = presentedKey(req);
      identity = { presented, principal: presented === null ? null : authenticate(presented, keys) };
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      identity = { refused: error };
    }
    identities.set(req, identity);
  }
  return identity;
}

function presentedKey(req: Request): string | null {
  const auth = oneHeader(req, 'authorization');
  const bearer = auth ? (/^Bearer\s+(\S+)$/i.exec(auth.trim())?.[1] ?? null) : null;
  const header = oneHeader(req, 'x-api-key')?.trim() || null;
  if (auth && bearer === null) return null;
  // Two different keys: which one acts is not for the gateway to guess.
  if (bearer !== null && header !== null && bearer !== header) throw new ApiError(401, 'unauthorized', 'two different API keys were given (Authorization and X-API-Key): send one');
  return bearer ?? header;
}

/**
 * The one value of a header the request may send once. Node keeps only the
 * first `Authorization` line and joins repeated `X-API-Key` lines with commas,
 * so each line is looked at: the same line twice is that value, different
 * ones are two keys, which is refused like a bearer key beside another
 * `X-API-Key`.
 */
function oneHeader(req: Request, name: 'authorization' | 'x-api-key'): string | undefined {
  const lines = new Set((req.headersDistinct[name] ?? []).map((line) => line.trim()));
  if (lines.size > 1) throw new ApiError(401, 'unauthorized', `${lines.size} different ${name === 'authorization' ? 'Authorization' : 'X-API-Key'} headers were given: send one key`);
  return lines.values().next().value;
}

/**
 * With `interfaces.web.tls.client_ca_file`, every route that needs a key
 * needs a client certificate that CA signed too. The handshake asks for one
 * but lets a client without it through, so that it gets this answer rather
 * than a broken connection (and /health, public, still answers a probe).
 */
function requireClientCertificate(req: Request): void {
  const socket = req.socket as TLSSocket;
  if (socket.authorized === true) return;
  const presented = typeof socket.getPeerCertificate === 'function' && Object.keys(socket.getPeerCertificate()).length > 0;
  const why = presented ? `the client certificate is not accepted (${String(socket.authorizationError ?? 'not signed by the configured CA')})` : 'a client certificate is required';
  throw new ApiError(401, 'unauthorized', `${why}: this API takes certificates signed by the CA of interfaces.web.tls.client_ca_file`);
}
