/**
 * A worker thread for threadFaults.test.ts: installs the last line of defence, then lets
 * exceptions and rejections escape work owned by a session (a timer, a promise, a socket's
 * message event) and work owned by no one, and reports what it saw and that it is still alive.
 */
import dgram from 'node:dgram';
import { parentPort } from 'node:worker_threads';
import { refusals } from '../../src/limits/refusals';
import { catchThreadFaults, runAsOwner } from '../../src/limits/threadFaults';

const port = parentPort!;
catchThreadFaults({
  warn: (message, meta) => port.postMessage({ type: 'warn', message, meta }),
  failOwner: (owner, error) => port.postMessage({ type: 'failed', owner, error: (error as Error).message }),
});

async function main(): Promise<void> {
  const socket = runAsOwner('session-a', () => {
    setTimeout(() => {
      throw new Error('timer of session-a');
    }, 0);
    void (async () => {
      await null;
      throw new Error('promise of session-a');
    })();
    // A socket made for the session: its events are the session's, however late they come.
    const udp = dgram.createSocket('udp4');
    udp.on('message', () => {
      throw new Error('datagram of session-a');
    });
    return udp;
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const sender = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => sender.send(Buffer.from([0x16]), socket.address().port, '127.0.0.1', () => resolve()));
  for (let i = 0; i < 25; i++) {
    setTimeout(() => {
      throw new Error('shared code');
    }, 0);
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  sender.close();
  socket.close();
  port.postMessage({ type: 'alive', refused: refusals.take() });
}

void main();
