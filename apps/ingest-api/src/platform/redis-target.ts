import type { ClusterNode, ClusterOptions } from 'ioredis';
import type { AppConfig } from './config/config.js';

export interface RedisTarget {
  /** A `redis://` / `rediss://` URL for one server, or the seed node(s) of a Redis Cluster. */
  target: string | ClusterNode[];
  /** For a Cluster: what a URL would carry for one server (credentials, TLS), applied to every node. */
  cluster?: Pick<ClusterOptions, 'redisOptions'>;
}

/**
 * Where the API's Redis is. With `REDIS_CLUSTER=true`, `REDIS_URL` names one seed node: ioredis asks it for the
 * cluster's slots and connects to every node it learns of, each with the URL's user, password and TLS (a
 * Cluster takes them as options, not from the seed's address, so they would otherwise be lost).
 */
export function redisTarget(config: Pick<AppConfig, 'redis'>): RedisTarget | null {
  if (config.redis.url === null) return null;
  if (!config.redis.cluster) return { target: config.redis.url };
  const url = new URL(config.redis.url);
  const tls = url.protocol === 'rediss:';
  return {
    target: [{ host: url.hostname, port: Number(url.port || 6379) }],
    cluster: {
      redisOptions: {
        ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
        ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
        ...(tls ? { tls: { servername: url.hostname } } : {}),
      },
    },
  };
}
