import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { OnnxSettings } from './onnxOptions';
import { checkOutputShape } from './outputs';
import { checkInputSpec, type InputSpec } from './preprocess';

type Runtime = typeof import('onnxruntime-node');

/** A model loaded in ONNX Runtime, checked against the options. */
export interface LoadedModel {
  runtime: Runtime;
  session: InferenceSession;
  inputName: string;
  outputName: string;
  /** The input tensor frames are turned into (its size from the options or the model). */
  spec: InputSpec;
  /** The input tensor's dimensions. */
  dims: readonly number[];
  /** What the log says about it. */
  description: Record<string, unknown>;
}

const shapeText = (shape: ReadonlyArray<number | string>): string => `[${shape.join(',')}]`;
const fixed = (dim: number | string | undefined): number | undefined => (typeof dim === 'number' && dim > 0 ? dim : undefined);

/**
 * Loads the model on ONNX Runtime's CPU execution provider and checks that it fits the options:
 * one float32 image input of rank 4 with 3 channels where `layout` puts them (its size fixed
 * by the model or given as `input`), and a first output whose shape fits the `output`
 * convention. Throws an Error naming the problem; the session is released when it does not fit.
 */
export async function loadOnnxModel(settings: OnnxSettings): Promise<LoadedModel> {
  let runtime: Runtime;
  try {
    // Loaded only when DETECTOR=onnx (its native library is large). require(), not import():
    // under jest a dynamic import() loads it outside the test's realm, and ONNX Runtime then
    // refuses the Float32Arrays made inside it.
    runtime = require('onnxruntime-node') as Runtime;
  } catch (error) {
    throw new Error(`DETECTOR=onnx needs the onnxruntime-node package, which did not load: ${(error as Error).message}`);
  }
  let session: InferenceSession;
  try {
    session = await runtime.InferenceSession.create(settings.model, {
      executionProviders: ['cpu'],
      intraOpNumThreads: settings.threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
  } catch (error) {
    throw new Error(`DETECTOR_MODEL ${settings.model} is not a model ONNX Runtime can load: ${(error as Error).message}`);
  }
  try {
    return { runtime, session, ...fit(session, settings) };
  } catch (error) {
    await session.release();
    throw new Error(`DETECTOR_MODEL ${settings.model}: ${(error as Error).message}`);
  }
}

function fit(session: InferenceSession, settings: OnnxSettings): Omit<LoadedModel, 'runtime' | 'session'> {
  if (session.inputMetadata.length !== 1) {
    throw new Error(`the model has ${session.inputMetadata.length} inputs (${session.inputNames.join(', ')}); one image input is supported`);
  }
  const input = session.inputMetadata[0]!;
  if (!input.isTensor || input.type !== 'float32') throw new Error(`input '${input.name}' must be a float32 tensor`);
  const shape = input.shape;
  const nchw = settings.input.layout === 'nchw';
  const [channels, height, width] = nchw ? [shape[1], shape[2], shape[3]] : [shape[3], shape[1], shape[2]];
  const expected = nchw ? '[1,3,height,width] (layout=nchw)' : '[1,height,width,3] (layout=nhwc)';
  if (shape.length !== 4 || (fixed(channels) !== undefined && channels !== 3) || (fixed(shape[0]) !== undefined && shape[0] !== 1)) {
    throw new Error(`input '${input.name}' has shape ${shapeText(shape)}, expected ${expected}`);
  }
  const size = { width: settings.input.width ?? fixed(width), height: settings.input.height ?? fixed(height) };
  if (size.width === undefined || size.height === undefined) {
    throw new Error(`input '${input.name}' has shape ${shapeText(shape)} with a free size: give it in DETECTOR_OPTIONS, e.g. input=640x640`);
  }
  for (const [name, given, model] of [['width', size.width, fixed(width)], ['height', size.height, fixed(height)]] as const) {
    if (model !== undefined && given !== model) throw new Error(`input=${size.width}x${size.height} does not fit input '${input.name}' of shape ${shapeText(shape)} (its ${name} is ${model})`);
  }
  const spec: InputSpec = { ...settings.input, width: size.width, height: size.height };
  const specProblem = checkInputSpec(spec);
  if (specProblem) throw new Error(specProblem);
  const output = session.outputMetadata[0];
  if (!output?.isTensor) throw new Error('the model has no tensor output');
  const outputProblem = checkOutputShape(settings.output, output.shape, { name: output.name, classes: settings.labels?.length, yoloLayout: settings.yoloLayout });
  if (outputProblem) throw new Error(`${outputProblem} (output=${settings.output})`);
  const dims = nchw ? [1, 3, spec.height, spec.width] : [1, spec.height, spec.width, 3];
  return {
    inputName: input.name,
    outputName: output.name,
    spec,
    dims,
    description: { model: settings.model, input: `${input.name} ${shapeText(dims)}`, output: `${output.name} ${shapeText(output.shape)}`, convention: settings.output },
  };
}

/** The output tensor of one run. */
export async function runModel(model: LoadedModel, data: Float32Array): Promise<Tensor> {
  const results = await model.session.run({ [model.inputName]: new model.runtime.Tensor('float32', data, model.dims) });
  const output = results[model.outputName];
  if (!output) throw new Error(`the model gave no output '${model.outputName}'`);
  return output;
}
