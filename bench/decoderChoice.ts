import { availableDecoderBackends, type DecoderBackendName } from '../src/media/decode/videoDecoders';

/** The decoder backends a bench measures: those BENCH_DECODERS names (default native,wasm) that run here. */
export function benchedDecoderBackends(): DecoderBackendName[] {
  const asked = (process.env.BENCH_DECODERS ?? 'native,wasm').split(',').map((name) => name.trim());
  return availableDecoderBackends().filter((name) => asked.includes(name));
}
