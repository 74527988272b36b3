import { refusals } from '../../src/limits/refusals';
import { inputLimits, DEFAULT_MAX_PICTURE_PIXELS } from '../../src/limitsConfig';
import { ConfigError } from '../../src/errors';

describe('refusals', () => {
  beforeEach(() => refusals.take());

  it('adds up counts per resource until taken, then starts again from nothing', () => {
    expect(refusals.take()).toBeNull();
    refusals.count('remote_candidate', 3);
    refusals.count('remote_candidate');
    refusals.count('frame_bytes');
    expect(refusals.take()).toEqual({ remote_candidate: 4, frame_bytes: 1 });
    expect(refusals.take()).toBeNull();
  });
});

describe('inputLimits', () => {
  it('defaults fit a 4K picture and are read from their variables', () => {
    expect(DEFAULT_MAX_PICTURE_PIXELS).toBeGreaterThanOrEqual(4096 * 2160);
    expect(inputLimits({}).maxPicturePixels).toBe(DEFAULT_MAX_PICTURE_PIXELS);
    expect(inputLimits({ MAX_PICTURE_PIXELS: '921600', MAX_REMOTE_CANDIDATES: '5' })).toMatchObject({ maxPicturePixels: 921600, maxRemoteCandidates: 5 });
  });

  it('refuses a value out of range, naming the variable', () => {
    expect(() => inputLimits({ MAX_MEDIA_SECTIONS: '0' })).toThrow(ConfigError);
    expect(() => inputLimits({ MAX_FRAME_BYTES: 'lots' })).toThrow(/MAX_FRAME_BYTES/);
  });
});
