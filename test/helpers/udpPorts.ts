import { createSocket } from 'node:dgram';

/** `size` consecutive UDP ports that are free on 127.0.0.1 now (for an ICE_PORT_RANGE in a test). */
export async function freeUdpRange(size: number): Promise<[number, number]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const low = 40_000 + Math.floor(Math.random() * 20_000);
    const sockets = await Promise.all(
      Array.from({ length: size }, (_, index) =>
        new Promise<ReturnType<typeof createSocket> | null>((resolve) => {
          const socket = createSocket('udp4');
          socket.once('error', () => resolve(null));
          socket.bind(low + index, '127.0.0.1', () => resolve(socket));
        }),
      ),
    );
    await Promise.all(sockets.map((socket) => socket && new Promise<void>((resolve) => socket.close(() => resolve()))));
    if (sockets.every(Boolean)) return [low, low + size - 1];
  }
  throw new Error('no free UDP port range found');
}
