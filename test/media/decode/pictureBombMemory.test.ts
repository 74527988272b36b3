/**
 * Issue 23, finding 2: a 74-byte VP8 keyframe claiming 16383x16383 made libvpx allocate about
 * 850 MB for as long as the decoder lived (VP9's equivalent: 2.5 GB). Each backend and codec is
 * measured in a child process (resident memory is per process): bombs among real frames through
 * the VideoProcessor and a real decoder, then (native) straight into the decoder. No timing: a
 * memory bound far above a real stream's decoder and far below one bomb's allocation.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { availableDecoderBackends, decoderBackend } from '../../../src/media/decode/videoDecoders';

const CHILD = join(__dirname, 'pictureBombChild.ts');
/** A 640x480 decoder needs a few MB; one bomb made libvpx take 460 MB (VP8) to 2.5 GB (VP9). */
const BOUND_MB = 100;

const cases = availableDecoderBackends().flatMap((backend) => decoderBackend(backend).videoCodecs.map((codec) => [backend, codec] as const));

describe('picture bombs and resident memory', () => {
  it.each(cases)('%s %s: bombs among real frames are dropped before decoding; the decoder memory stays small and the stream goes on', (backend, codec) => {
    const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, backend, codec], { encoding: 'utf8', timeout: 120_000 });
    const line = child.stdout.split('\n').find((text) => text.startsWith('{'));
    if (!line) throw new Error(`the child failed (${child.status}): ${child.stderr.slice(-2000)}`);
    const result = JSON.parse(line) as { beforeMb: number; afterPipelineMb: number; afterDirectMb: number | null; pictures: number; dropped: Record<string, number> };
    expect(result.afterPipelineMb - result.beforeMb).toBeLessThan(BOUND_MB);
    if (result.afterDirectMb !== null) expect(result.afterDirectMb - result.beforeMb).toBeLessThan(BOUND_MB);
    expect(result.dropped.picture_too_large).toBeGreaterThanOrEqual(5);
    // The frames before the bombs and from the next keyframe on gave pictures.
    expect(result.pictures).toBeGreaterThanOrEqual(10 + 30 - 1);
  }, 130_000);
});
