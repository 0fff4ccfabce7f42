import autocannon from 'autocannon';

export interface LoadResult {
  /** Successful responses per second over the whole run. */
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses other than 2xx, connection errors and timeouts: any of these makes the run invalid. */
  failures: number;
}

/** One autocannon run against `url` with the given headers; GET, keep-alive connections. */
export async function load(options: {
  url: string;
  headers: Record<string, string>;
  connections: number;
  durationSeconds: number;
}): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    headers: options.headers,
    connections: options.connections,
    duration: options.durationSeconds,
  });
  return {
    requestsPerSecond: result['2xx'] / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}
