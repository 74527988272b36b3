import type { AnalysisSettings, DecoderChoice } from '../config';
import { ConfigError } from '../errors';
import { chooseDecoderBackend } from './decode/videoDecoders';
import { checkDetectorOptions } from './detectors/registry';

/**
 * What only the media code can check of the configuration, at start beside loadConfig (whose
 * reading loads no decoder or detector): DECODER=native asked for by name loads now, not at the
 * first frame; DETECTOR_OPTIONS are options the detector has and takes. Throws ConfigError.
 */
export function checkMediaSettings(analysis: AnalysisSettings, decoder: DecoderChoice): void {
  try {
    chooseDecoderBackend(decoder);
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}; or DECODER=wasm (slower, H264 constrained baseline only)`);
  }
  if (analysis.detector === 'off') return;
  try {
    checkDetectorOptions(analysis.detector, analysis.detectorOptions);
  } catch (error) {
    throw new ConfigError(`DETECTOR_OPTIONS: ${(error as Error).message}`);
  }
}
