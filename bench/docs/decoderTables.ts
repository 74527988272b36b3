/** The decoder candidates compared by `npm run bench:decoders` (bench/results/decoders.json). */
import { fixed, results, spacedTable, type Stat } from './format';

interface Clip {
  error?: string;
  output_delay_frames?: number;
  decode_ms?: Stat;
}

interface Candidate {
  id: string;
  clips: Record<string, Clip>;
}

/** The candidates as the docs name them, in the results' order. */
const NAMES: Record<string, string> = {
  'wasm-today': 'wasm, the server\'s fallback (libav.js `webm-vp9` libvpx, `h264decoder` h264bsd)',
  'libavjs-vp8-opus': 'libav.js `vp8-opus` (libvpx, wasm)',
  'libavjs-vp9-opus': 'libav.js `vp9-opus` (libvpx-vp9, wasm)',
  'libavjs-av1-opus': 'libav.js `av1-opus` (libaom, wasm)',
  'napi-webcodecs': '`@napi-rs/webcodecs` 1.3.1 (FFmpeg)',
  'node-av': '`node-av` 6.1.1 (FFmpeg; libdav1d for AV1)',
  'native-addon': 'own N-API addon (libvpx, OpenH264, dav1d from Debian; now the server\'s default)',
};

const CLIPS: Array<[string, string]> = [
  ['VP8', 'VP8'],
  ['VP9', 'VP9'],
  ['H264-CB', 'H264 constrained baseline'],
  ['H264-MAIN', 'H264 main'],
  ['H264-HIGH', 'H264 high'],
  ['AV1', 'AV1'],
];

/** ms per 640x480 frame, median / p95, per candidate and clip; the server's default in bold. */
export function decoderSpeed(): string {
  const candidates = results<{ results: Candidate[] }>('decoders.json').results;
  const cell = (c: Candidate, clip: string) => {
    const measured = c.clips[clip];
    if (!measured) return '-';
    if (measured.error || !measured.decode_ms) return 'refused';
    const late = measured.output_delay_frames ? `, +${measured.output_delay_frames} late` : '';
    const text = `${fixed(measured.decode_ms.median!, 2)} / ${fixed(measured.decode_ms.p95!, 2)}${late}`;
    return c.id === 'native-addon' ? `**${text}**` : text;
  };
  return spacedTable(
    ['backend', ...CLIPS.map(([, label]) => label)],
    candidates.map((c) => [NAMES[c.id] ?? c.id, ...CLIPS.map(([clip]) => cell(c, clip))]),
  );
}
