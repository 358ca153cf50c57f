import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Observable, throwError } from 'rxjs';
import { firstUnstorableText, isStorableText } from '@jifen/contracts';
import { currentCorrelationId } from './correlation';

/** Every 4xx/5xx body: a machine-readable `reason`, a sentence for people, the correlation id. */
export interface ErrorBody {
  reason: string;
  detail: string;
  correlationId: string | undefined;
}

/**
 * An HTTP answer with the contract's `reason` code. Controllers throw it (or map a domain
 * error to it); the exception filter writes it.
 */
export class ApiError extends HttpException {
  constructor(
    status: number,
    readonly reason: string,
    readonly detail: string,
  ) {
    super({ reason, detail }, status);
  }
}

const reasonByStatus: Record<number, string> = {
  400: 'invalid',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'too_many_requests',
  503: 'unavailable',
};

/** The one place errors become HTTP answers. */
@Catch()
export class PlatformExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void | Observable<never> {
    // Outside HTTP (a Nest microservice handler) the error goes back to its transport as is.
    if (host.getType() !== 'http') return throwError(() => exception);
    const response = host.switchToHttp().getResponse<ServerResponse>();
    const { status, reason, detail } = this.describe(exception);
    if (status >= 500)
      this.logger.error(exception instanceof Error ? exception : String(exception));
    sendError(response, status, reason, detail);
  }

  private describe(exception: unknown): { status: number; reason: string; detail: string } {
    if (exception instanceof ApiError) {
      return { status: exception.getStatus(), reason: exception.reason, detail: exception.detail };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const message =
        typeof body === 'object' && body !== null && 'message' in body
          ? (body as { message: unknown }).message
          : body;
      return {
        status,
        reason: reasonByStatus[status] ?? (status >= 500 ? 'internal' : 'invalid'),
        detail: Array.isArray(message) ? message.join('; ') : String(message),
      };
    }
    return {
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      reason: 'internal',
      detail: 'The service failed to answer; the correlation id finds the details in its log.',
    };
  }
}

export function sendError(
  response: ServerResponse,
  status: number,
  reason: string,
  detail: string,
): void {
  const body: ErrorBody = { reason, detail, correlationId: currentCorrelationId() };
  response.statusCode = status;
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.end(JSON.stringify(body));
}

/**
 * Validation at the edge: unknown fields are refused (not silently dropped), and the answer
 * names every field that failed.
 */
export function platformValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) =>
      new ApiError(HttpStatus.BAD_REQUEST, 'invalid', describeValidation(errors)),
  });
}

function describeValidation(errors: ValidationError[], parent = ''): string {
  return errors
    .flatMap((error) => {
      const field = parent ? `${parent}.${error.property}` : error.property;
      const own = Object.values(error.constraints ?? {}).map((text) =>
        // class-validator words messages after the bare property; keep the full path.
        text.startsWith(`${error.property} `)
          ? `${field}${text.slice(error.property.length)}`
          : text,
      );
      const nested = error.children?.length ? [describeValidation(error.children, field)] : [];
      return [...own, ...nested];
    })
    .join('; ');
}

/**
 * Express error middleware placed right after the JSON body parser: a body over the limit or
 * not JSON is answered in the same shape as every other error.
 */
export function bodyParserErrorMiddleware(
  error: { status?: number; type?: string; message?: string },
  _req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
): void {
  if (error.type === 'entity.too.large') {
    sendError(res, 413, 'payload_too_large', 'The request body is larger than 64 KiB.');
  } else if (error.type === 'entity.parse.failed') {
    sendError(res, 400, 'malformed', 'The request body is not valid JSON.');
  } else if (error.status !== undefined && error.status >= 400 && error.status < 500) {
    sendError(res, error.status, 'invalid', error.message ?? 'The request body was refused.');
  } else {
    next(error);
  }
}

/** Deeper than any request body of the API needs; validation recurses once per level. */
export const maxBodyDepth = 32;

/**
 * Runs after the JSON body parser: refuses with 400 what would otherwise reach a handler and
 * fail there with a 500. A body nested thousands of levels deep (it fits in 64 KiB) overflows
 * the stack in validation; U+0000 and unpaired surrogates, in the body, a path segment or the
 * query, make PostgreSQL refuse the query that carries them.
 */
export function hostileInputMiddleware(
  req: IncomingMessage & { body?: unknown },
  res: ServerResponse,
  next: () => void,
): void {
  if (nestsDeeperThan(req.body, maxBodyDepth)) {
    sendError(res, 400, 'invalid', `The request body nests more than ${maxBodyDepth} levels.`);
    return;
  }
  const [path, query = ''] = (req.url ?? '').split('?', 2);
  const decoded = [...path.split('/'), ...query.split(/[&=]/)].map((part) => {
    try {
      return decodeURIComponent(part.replace(/\+/g, ' '));
    } catch {
      return ''; // Not percent-decodable: the router answers it.
    }
  });
  const field = decoded.some((part) => !isStorableText(part))
    ? 'The path or the query'
    : firstUnstorableText(req.body, 'body');
  if (field !== undefined) {
    sendError(
      res,
      400,
      'invalid',
      `${field} holds U+0000 or an unpaired surrogate, which no identifier or text may contain.`,
    );
    return;
  }
  next();
}

function nestsDeeperThan(value: unknown, limit: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 1]];
  while (pending.length > 0) {
    const [next, depth] = pending.pop()!;
    if (typeof next !== 'object' || next === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(next)) pending.push([child, depth + 1]);
  }
  return false;
}
