import type { Request, RequestHandler, Response } from 'express';
import type { Redis, Cluster } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { RateLimitGroup } from '../config/config.js';
import type { Metrics } from '../metrics/metrics.js';
import { TooManyRequestsError } from './errors.js';

export interface RateLimitOptions {
  windowSeconds: number;
  perWindow: Readonly<Record<RateLimitGroup, number>>;
  /** Shared store; null in the embedded default, where the in-memory limiter is the store. */
  redis: Redis | Cluster | null;
  keyPrefix: string;
  metrics: Metrics;
  /** Who is asking: the user id once authenticated, else the client IP (trust proxy applied by Express). */
  identify?: (req: Request) => string;
}

function headers(limit: number, windowSeconds: number, state: RateLimiterRes): Record<string, string> {
  const reset = Math.max(0, Math.ceil(state.msBeforeNext / 1000));
  return {
    'RateLimit-Limit': String(limit),
    'RateLimit-Remaining': String(Math.max(0, state.remainingPoints)),
    'RateLimit-Reset': String(reset),
    'RateLimit-Policy': `${limit};w=${windowSeconds}`,
  };
}

/**
 * Fixed-window limits per route group in Redis, so they hold across instances. When Redis is unreachable,
 * rate-limiter-flexible's insurance limiter takes over in memory, per instance: neither everyone blocked nor
 * everything let through.
 */
export class RateLimits {
  readonly #limiters = new Map<RateLimitGroup, RateLimiterAbstract>();

  constructor(readonly options: RateLimitOptions) {
    for (const [group, points] of Object.entries(options.perWindow) as [RateLimitGroup, number][]) {
      const memory = new RateLimiterMemory({
        points,
        duration: options.windowSeconds,
        keyPrefix: `${options.keyPrefix}rl:${group}`,
      });
      this.#limiters.set(
        group,
        options.redis
          ? new RateLimiterRedis({
              storeClient: options.redis,
              points,
              duration: options.windowSeconds,
              keyPrefix: `${options.keyPrefix}rl:${group}`,
              insuranceLimiter: memory,
              rejectIfRedisNotReady: true,
            })
          : memory,
      );
    }
  }

  middleware(group: RateLimitGroup, identify: (req: Request) => string): RequestHandler {
    const limiter = this.#limiters.get(group);
    const limit = this.options.perWindow[group];
    if (!limiter) throw new Error(`no rate limiter for group ${group}`);
    return async (req: Request, res: Response, next) => {
      const key = identify(req);
      try {
        const state = await limiter.consume(key, 1);
        for (const [name, value] of Object.entries(headers(limit, this.options.windowSeconds, state)))
          res.setHeader(name, value);
        next();
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) {
          this.options.metrics.rateLimited.inc({ group });
          const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
          throw new TooManyRequestsError(retryAfter, headers(limit, this.options.windowSeconds, rejection));
        }
        throw rejection;
      }
    };
  }
}

export function clientIp(req: Request): string {
  return `ip:${req.ip ?? req.socket.remoteAddress ?? 'unknown'}`;
}
