import type { Command } from 'commander';
import { resolve } from 'node:path';
import { defaultRoot } from '../store/store.js';
import { SprigError } from '../util/errors.js';

const port = (v: string) => {
  const x = Number(v);
  if (!Number.isInteger(x) || x < 0 || x > 65535)
    throw new SprigError(
      `'${v}' is not a port number`,
      'pass a whole number from 1 to 65535 (0 picks a free port)',
    );
  return x;
};

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export function register(program: Command): void {
  program
    .command('serve')
    .description('a local, read-only web dashboard over the run store: runs, their curves, comparisons')
    .option('--root <dir>', 'run store directory (or SPRIG_ROOT)', defaultRoot())
    .option('--port <n>', 'port to listen on (0 picks a free one)', port, 7007)
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--json', 'print {url, root} as JSON on stdout once listening')
    .action(async (o: { root: string; port: number; host: string; json?: boolean }) => {
      // loaded here: fastify costs every sprig command ~0.15 s to import
      const { serveDashboard } = await import('../dashboard/server.js');
      const d = await serveDashboard({ root: o.root, port: o.port, host: o.host });
      const root = resolve(o.root);
      if (o.json) process.stdout.write(JSON.stringify({ url: d.url, root }) + '\n');
      else process.stdout.write(`sprig dashboard: ${d.url} (read-only view of ${root}); Ctrl-C stops it\n`);
      if (!LOOPBACK.has(o.host))
        process.stderr.write(
          `note: listening on ${o.host} shows your runs to anyone who can reach this machine\n`,
        );
      await new Promise<void>((done) => {
        const stop = () => void d.close().then(done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
