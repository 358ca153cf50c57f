import { Controller, Get, Header, Inject } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { Public } from './auth';

/** The service's Prometheus registry; inject it to add the service's own metrics. */
export const METRICS_REGISTRY = Symbol('MetricsRegistry');

/**
 * One registry per application (not prom-client's global one), so several services can run
 * in one process, as the tests do, without metric name clashes.
 */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Express middleware counting requests and their durations by route and status. */
export function httpMetricsMiddleware(registry: Registry) {
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer an HTTP request',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const stop = duration.startTimer();
    res.once('finish', () => {
      // The matched route pattern, never the raw path: member ids would explode the labels.
      const matched = req as IncomingMessage & { route?: { path?: string }; baseUrl?: string };
      const route = matched.route?.path
        ? `${matched.baseUrl ?? ''}${matched.route.path}`
        : 'unmatched';
      requests.inc({ method: req.method, route, status: String(res.statusCode) });
      stop({ method: req.method, route });
    });
    next();
  };
}

@Controller()
export class MetricsController {
  constructor(@Inject(METRICS_REGISTRY) private readonly registry: Registry) {}

  @Public()
  @Get('metrics')
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  async metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
