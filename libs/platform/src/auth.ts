import {
  CanActivate,
  ExecutionContext,
  HttpStatus,
  Inject,
  Injectable,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SERVICE_CONFIG, ServiceConfig } from './config';
import { ApiKey, Role } from './credentials';
import { ApiError } from './errors';

const ROLES = 'jifen:roles';
const PUBLIC = 'jifen:public';

/**
 * The roles that may call a handler (or every handler of a controller). A protected endpoint
 * without `@Roles` accepts any valid key ("any role" in the contract).
 */
export const Roles = (...allowed: Role[]) => SetMetadata(ROLES, allowed);

/** No key needed: only `/health` and `/metrics` (CONTRACT.md section 1). */
export const Public = () => SetMetadata(PUBLIC, true);

/** The caller, as the guard established it; on the request as `principal`. */
export interface Principal {
  role: Role;
}

export type AuthenticatedRequest = IncomingMessage & { principal?: Principal };

/**
 * The global guard: `Authorization: Bearer <key>`, 401 when the key is missing or unknown,
 * 403 when its role may not call the endpoint.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: Array<{ role: Role; digest: Buffer }>;

  constructor(
    private readonly reflector: Reflector,
    @Inject(SERVICE_CONFIG) config: ServiceConfig,
  ) {
    this.keys = config.apiKeys.map((key: ApiKey) => ({ role: key.role, digest: digest(key.key) }));
  }

  canActivate(context: ExecutionContext): boolean {
    // Kafka handlers (Nest microservice transports) are not the HTTP edge.
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, targets)) return true;

    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    const presented = bearerToken(request.headers.authorization);
    const role = presented === undefined ? undefined : this.roleOf(presented);
    if (role === undefined) {
      http.getResponse<ServerResponse>().setHeader('WWW-Authenticate', 'Bearer realm="jifen"');
      throw new ApiError(
        HttpStatus.UNAUTHORIZED,
        'unauthenticated',
        presented === undefined
          ? 'Send an API key as "Authorization: Bearer <key>".'
          : 'The API key is not known to this service.',
      );
    }
    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets);
    if (allowed !== undefined && !allowed.includes(role)) {
      throw new ApiError(
        HttpStatus.FORBIDDEN,
        'forbidden',
        `Role ${role} may not call this endpoint (allowed: ${allowed.join(', ')}).`,
      );
    }
    request.principal = { role };
    return true;
  }

  /**
   * Compares the presented key with every configured key, in constant time and without
   * stopping at a match: digests make the lengths equal, so neither the content nor the
   * length of a key leaks through timing.
   */
  private roleOf(presented: string): Role | undefined {
    const candidate = digest(presented);
    let found: Role | undefined;
    for (const key of this.keys) {
      if (timingSafeEqual(candidate, key.digest) && found === undefined) found = key.role;
    }
    return found;
  }
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}
