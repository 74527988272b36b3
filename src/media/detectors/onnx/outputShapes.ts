/** How a model's output is read: see outputs.ts. */
export type OutputConvention = 'boxes' | 'yolo' | 'mask';

/** Ultralytics exports [1, 4 + classes, anchors] (channels-first); some tool chains transpose it to [1, anchors, 4 + classes]. */
export type YoloLayout = 'channels-first' | 'anchors-first';

/** A tensor's dimensions; in a model's metadata a dimension may be symbolic (a name) or -1: any size. */
export type Dims = ReadonlyArray<number | string>;

export interface ShapeOptions {
  /** The output's name, for the message. */
  name?: string;
  /** How many classes the labels name: a YOLO output must have 4 + classes channels. */
  classes?: number;
  yoloLayout?: YoloLayout;
}

const known = (dim: number | string | undefined): dim is number => typeof dim === 'number' && dim >= 0;
/** True when the dimension is `size` or may be any size. */
const fits = (dim: number | string | undefined, size: number): boolean => !known(dim) || dim === size;
const atLeast = (dim: number | string | undefined, size: number): boolean => !known(dim) || dim >= size;

const shapeText = (dims: Dims): string => `[${dims.join(',')}]`;

/**
 * Null when an output of these dimensions fits the convention, else a message naming the output,
 * its shape and what the convention needs. Symbolic or negative dimensions fit any size.
 */
export function checkOutputShape(convention: OutputConvention, dims: Dims, options: ShapeOptions = {}): string | null {
  const problem = shapeProblem(convention, dims, options);
  return problem === null ? null : `output '${options.name ?? 'output'}' has shape ${shapeText(dims)}: ${problem}`;
}

/** Throws with checkOutputShape's message when the dimensions do not fit. */
export function assertOutputShape(convention: OutputConvention, dims: Dims, options: ShapeOptions = {}): void {
  const problem = checkOutputShape(convention, dims, options);
  if (problem !== null) throw new Error(problem);
}

function shapeProblem(convention: OutputConvention, dims: Dims, { classes, yoloLayout = 'channels-first' }: ShapeOptions): string | null {
  switch (convention) {
    case 'boxes': {
      const fitsBoxes = (dims.length === 2 && fits(dims[1], 6)) || (dims.length === 3 && fits(dims[0], 1) && fits(dims[2], 6));
      return fitsBoxes ? null : 'the boxes convention needs [N,6] or [1,N,6] (x1, y1, x2, y2, score, class per row)';
    }
    case 'yolo': {
      const needs =
        yoloLayout === 'channels-first'
          ? `the yolo convention (channels-first) needs [1,4+classes,anchors]`
          : `the yolo convention (anchors-first) needs [1,anchors,4+classes]`;
      if (dims.length !== 3 || !fits(dims[0], 1)) return needs;
      const [channels, other] = yoloLayout === 'channels-first' ? [dims[1], dims[2]] : [dims[2], dims[1]];
      if (classes !== undefined && !fits(channels, 4 + classes)) {
        const otherLayout = yoloLayout === 'channels-first' ? 'anchors-first' : 'channels-first';
        const hint = known(other) && other === 4 + classes ? ` (yoloLayout '${otherLayout}' would fit)` : '';
        return `${needs}: ${classes} labels make ${4 + classes} channels, the output has ${channels}${hint}`;
      }
      if (!atLeast(channels, 5)) return `${needs} with at least one class`;
      return null;
    }
    case 'mask': {
      const fitsMask = dims.length === 4 && fits(dims[0], 1) && fits(dims[1], 1) && atLeast(dims[2], 1) && atLeast(dims[3], 1);
      return fitsMask ? null : 'the mask convention needs [1,1,H,W] (one probability or logit per mask pixel)';
    }
    default:
      return `unknown output convention '${String(convention)}' (known: boxes, yolo, mask)`;
  }
}
