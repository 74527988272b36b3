import type { Detection, Detector, DetectorOptions } from '../detector';
import { loadOnnxModel, runModel, type LoadedModel } from './onnxModel';
import { parseOnnxOptions, type OnnxSettings } from './onnxOptions';
import { decodeBoxes, decodeMask, decodeYolo } from './outputs';
import { toTensor, type Transform } from './preprocess';

/**
 * DETECTOR=onnx: the user's model on ONNX Runtime (CPU), one session per frame worker, loaded
 * once when the worker starts (`ready`). Each analysed picture is turned into the model's input
 * (preprocess.ts), run, and its output read by the configured convention (outputs.ts) into
 * detections in the picture's pixels. Asynchronous: the worker's deadline (DETECT_TIMEOUT_MS)
 * bounds each run, and a run that throws drops its frame as `analysis_error`.
 */
export function createOnnxDetector(options?: DetectorOptions): Detector {
  const settings = parseOnnxOptions(options);
  let model: LoadedModel | undefined;
  let buffer: Float32Array | undefined;
  const ready = loadOnnxModel(settings).then((loaded) => {
    model = loaded;
  });
  return {
    name: 'onnx',
    concurrency: 1,
    ready,
    async detect(frame) {
      if (!model) await ready;
      const loaded = model!;
      // One run at a time (concurrency 1): the input buffer is reused from frame to frame.
      const { data, transform } = toTensor(frame, loaded.spec, buffer);
      buffer = data;
      const output = await runModel(loaded, data);
      return decode(settings, output.data as Float32Array, output.dims, transform);
    },
  };
}

function decode(settings: OnnxSettings, data: Float32Array, dims: readonly number[], transform: Transform): Detection[] {
  const common = { transform, labels: settings.labels, scoreThreshold: settings.scoreThreshold, maxDetections: settings.maxDetections };
  switch (settings.output) {
    case 'boxes':
      return decodeBoxes(data, dims, { ...common, normalizedCoordinates: settings.normalizedCoordinates });
    case 'yolo':
      return decodeYolo(data, dims, { ...common, iouThreshold: settings.iouThreshold, yoloLayout: settings.yoloLayout });
    case 'mask':
      return decodeMask(data, dims, { ...common, maskThreshold: settings.maskThreshold, maskLogits: settings.maskLogits, minAreaPixels: settings.minAreaPixels });
  }
}

/** At server start: the model loads and fits the options, or the server does not start. What to log about it. */
export async function checkOnnxDetector(options?: DetectorOptions): Promise<Record<string, unknown>> {
  const model = await loadOnnxModel(parseOnnxOptions(options));
  await model.session.release();
  return model.description;
}
