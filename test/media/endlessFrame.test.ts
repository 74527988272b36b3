/**
 * Issue 23, finding 6: 100,000 RTP packets with one timestamp and no marker bit grew the server
 * by about 100 MB (the frame assembler kept every payload of the frame). Measured in a child
 * process: what the processor holds once the frame broke MAX_FRAME_PACKETS stays bounded.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

it('an endless frame is dropped once as frame_too_large and the memory held stays bounded', () => {
  const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(__dirname, 'endlessFrameChild.ts')], { encoding: 'utf8', timeout: 120_000 });
  const line = child.stdout.split('\n').find((text) => text.startsWith('{'));
  if (!line) throw new Error(`the child failed (${child.status}): ${child.stderr.slice(-2000)}`);
  const result = JSON.parse(line) as { beforeMb: number; afterMb: number; dropped: Record<string, number>; framesReceived: number };
  // 100 MB of payloads arrived; at most one frame's worth (MAX_FRAME_PACKETS x 1,000 bytes, 4 MB) may be held.
  expect(result.afterMb - result.beforeMb).toBeLessThan(20);
  expect(result.framesReceived).toBe(1);
  expect(result.dropped).toEqual({ frame_too_large: 1 });
}, 130_000);
