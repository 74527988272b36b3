import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface ClientProcess {
  child: ChildProcess;
  sessionId: string;
}

/**
 * `npm run client` in a child process, streaming for a minute, resolved once it prints its
 * session id. `--import tsx` keeps the client in that one process, so SIGKILL really kills it.
 */
export async function startClientProcess(url: string): Promise<ClientProcess> {
  const cli = join(__dirname, '..', '..', 'client', 'cli.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', cli, '--url', url, '--seconds', '60', '--interface', '127.0.0.1'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const sessionId = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /^session_id (\S+)/m.exec(output);
      if (match) resolve(match[1]!);
    });
    child.on('exit', () => reject(new Error('the client exited before connecting')));
  });
  return { child, sessionId };
}
