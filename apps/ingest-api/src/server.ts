import { createServer, type Server } from 'node:http';
import { ConfigError, loadConfig } from './platform/config/config.js';
import { createLogger } from './platform/logger/logger.js';
import { buildRuntime } from './runtime.js';

export interface RunningServer {
  server: Server;
  url: string;
  /** Stops accepting, lets in-flight requests finish up to the deadline, closes the pools. */
  shutdown(reason: string): Promise<void>;
}

/** Starts the API from an environment (the form a process manager or a container uses). */
export async function startServer(
  environment: Readonly<Record<string, string | undefined>>,
): Promise<RunningServer> {
  const config = loadConfig(environment);
  const logger = createLogger({ level: config.logLevel });
  const runtime = buildRuntime(config, logger);
  const server = createServer(runtime.handler).listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${host}:${port}`;
  logger.info({ url, env: config.env }, 'ingest-api listening');

  let shuttingDown: Promise<void> | null = null;
  const shutdown = (reason: string) =>
    (shuttingDown ??= (async () => {
      logger.info(
        { reason, deadlineMs: config.shutdownTimeoutMs },
        'shutting down: no new connections, draining in-flight requests',
      );
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = new Promise<'deadline'>((resolve) =>
        setTimeout(() => resolve('deadline'), config.shutdownTimeoutMs).unref(),
      );
      // A keep-alive socket that finishes its last request becomes idle; close it then, or close() waits forever.
      const drainTicker = setInterval(() => server.closeIdleConnections(), 100);
      const outcome = await Promise.race([closed.then(() => 'drained' as const), deadline]);
      clearInterval(drainTicker);
      if (outcome === 'deadline') {
        logger.warn('shutdown deadline reached; closing remaining connections');
        server.closeAllConnections();
      }
      await runtime.close();
      logger.info('shutdown complete');
    })());

  return { server, url, shutdown };
}

async function main(): Promise<void> {
  let running: RunningServer;
  try {
    // The process boundary: the only place that reads the environment.
    running = await startServer(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void running.shutdown(signal).then(() => process.exit(0));
    });
  }
}

const isEntryPoint =
  process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntryPoint) void main();
