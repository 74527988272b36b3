/** Every generated table by the name its markers give it (`<!-- table:NAME -->`). */
import { decoderSpeed } from './decoderTables';
import { hostile, ingest, ingestSummary } from './ingestTables';
import { cluster, detection, setup, shutdown, soak, teardown } from './latencyTables';
import { analysis, decoderMemory, onnx, pipelinePool, pipelineStages } from './mediaTables';

export const TABLES: Record<string, () => string> = {
  ingest: () => ingest('bench.json'),
  'ingest-detector': () => ingest('colour-region/bench.json'),
  'ingest-summary': ingestSummary,
  hostile,
  teardown,
  detection,
  setup,
  cluster,
  shutdown,
  soak,
  'pipeline-stages': pipelineStages,
  'pipeline-pool': pipelinePool,
  'decoder-memory': decoderMemory,
  analysis,
  onnx,
  'decoder-speed': decoderSpeed,
};

/** The table a marker names; throws on a name no renderer has. */
export function render(name: string): string {
  const make = TABLES[name];
  if (!make) throw new Error(`no generated table is called "${name}" (bench/docs/tables.ts)`);
  return make();
}
