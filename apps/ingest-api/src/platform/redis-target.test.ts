import { describe, expect, it } from 'vitest';
import { redisTarget } from './redis-target.js';

const config = (url: string | null, cluster: boolean) => ({ redis: { url, cluster, keyPrefix: 'pf:' } });

describe('redisTarget', () => {
  it('is null without REDIS_URL (in-process stores)', () => {
    expect(redisTarget(config(null, true))).toBeNull();
  });

  it('passes a single server URL through unchanged', () => {
    expect(redisTarget(config('rediss://app:s3cret@redis.internal:6380/2', false))).toEqual({
      target: 'rediss://app:s3cret@redis.internal:6380/2',
    });
  });

  it('turns the URL into a Cluster seed node that keeps its credentials and TLS', () => {
    expect(redisTarget(config('rediss://app:s%40cret@cluster.internal:7000', true))).toEqual({
      target: [{ host: 'cluster.internal', port: 7000 }],
      cluster: {
        redisOptions: { username: 'app', password: 's@cret', tls: { servername: 'cluster.internal' } },
      },
    });
  });

  it('defaults the Cluster seed port to 6379 and adds nothing the URL does not carry', () => {
    expect(redisTarget(config('redis://cluster.internal', true))).toEqual({
      target: [{ host: 'cluster.internal', port: 6379 }],
      cluster: { redisOptions: {} },
    });
  });
});
