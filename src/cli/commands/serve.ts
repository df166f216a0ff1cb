import { Command } from 'commander';
import { loadConfig } from '../../config.ts';

export function serveCommand(): Command {
  return new Command('serve').description('start the HTTP server (what npm start runs)').action(async () => {
    const config = loadConfig();
    // Loaded on demand: the whole application is more than other commands need.
    const { boot } = await import('../../boot.ts');
    const running = await boot(config);
    const { app, context } = running;
    await app.listen({ host: config.host, port: config.port });
    context.log.info(`Plio listening on http://${config.host}:${config.port} (${context.database.description})`);
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      context.log.info(`${signal}: shutting down`);
      await running.close();
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  });
}
