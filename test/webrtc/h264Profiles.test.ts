import { describeH264Format, h264ProfileOf, H264_PROFILE_LEVEL_ID, offeredH264Profile } from '../../src/webrtc/h264Profiles';
import { describeReceivedVideo, receivesVideoFormat, type ReceivedVideo } from '../../src/webrtc/receivedVideo';

describe('h264ProfileOf', () => {
  it.each([
    // What Chromium, Firefox and Safari offer, and what x264 writes into the fixtures' SPS.
    ['42e01f', 'constrained baseline'],
    ['42c01f', 'constrained baseline'],
    ['42001f', 'baseline'],
    ['4d001f', 'main'],
    ['4d401f', 'main'],
    ['4de01f', 'constrained baseline'],
    ['640c1f', 'constrained high'],
    ['64001f', 'high'],
    ['640034', 'high'],
    ['42E01F', 'constrained baseline'],
  ])('%s is %s, whatever the level', (id, profile) => {
    expect(h264ProfileOf(id)).toBe(profile);
  });

  it.each(['f4001f', '6e001f', '64081f', '4d201f', '42e01', 'zzzzzz', ''])('%s is none WebRTC receives here', (id) => {
    expect(h264ProfileOf(id)).toBeUndefined();
  });

  it('each profile\'s level 3.1 id reads back as that profile', () => {
    for (const [profile, id] of Object.entries(H264_PROFILE_LEVEL_ID)) expect(h264ProfileOf(id)).toBe(profile);
  });
});

describe('offeredH264Profile', () => {
  it('reads the profile of a packetization-mode 1 format, in any parameter order', () => {
    expect(offeredH264Profile('level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f')).toBe('high');
    expect(offeredH264Profile('profile-level-id=4d001f; packetization-mode=1')).toBe('main');
  });

  it('without profile-level-id: constrained baseline, as libwebrtc reads it', () => {
    expect(offeredH264Profile('packetization-mode=1')).toBe('constrained baseline');
  });

  it('none for packetization-mode 0 (or none given: 0 is the default)', () => {
    expect(offeredH264Profile('level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f')).toBeUndefined();
    expect(offeredH264Profile('profile-level-id=42e01f')).toBeUndefined();
  });

  it('describes formats for error messages', () => {
    expect(describeH264Format('packetization-mode=1;profile-level-id=64001f')).toBe('high');
    expect(describeH264Format('packetization-mode=0;profile-level-id=4d001f')).toBe('main packetization-mode 0');
    expect(describeH264Format('packetization-mode=1;profile-level-id=f4001f')).toBe('profile-level-id f4001f');
  });
});

describe('receivesVideoFormat', () => {
  const wasm: ReceivedVideo = { videoCodecs: ['VP8', 'VP9', 'H264'], h264Profiles: ['constrained baseline'] };
  const native: ReceivedVideo = {
    videoCodecs: ['VP8', 'VP9', 'H264', 'AV1'],
    h264Profiles: ['constrained baseline', 'baseline', 'main', 'constrained high', 'high'],
  };
  const format = (name: string, fmtp = '') => ({ name, fmtp });

  it('H264: a profile of the list, packetization-mode 1', () => {
    expect(receivesVideoFormat(wasm, format('H264', 'packetization-mode=1;profile-level-id=42e01f'))).toBe(true);
    expect(receivesVideoFormat(wasm, format('H264', 'packetization-mode=1;profile-level-id=64001f'))).toBe(false);
    expect(receivesVideoFormat(wasm, format('H264', 'packetization-mode=1;profile-level-id=42001f'))).toBe(false);
    expect(receivesVideoFormat(native, format('h264', 'packetization-mode=1;profile-level-id=64001f'))).toBe(true);
    expect(receivesVideoFormat(native, format('H264', 'packetization-mode=0;profile-level-id=64001f'))).toBe(false);
  });

  it('AV1 (or its early name AV1X) only where decoded, profile 0 only', () => {
    expect(receivesVideoFormat(wasm, format('AV1'))).toBe(false);
    expect(receivesVideoFormat(native, format('AV1', 'level-idx=5;profile=0;tier=0'))).toBe(true);
    expect(receivesVideoFormat(native, format('AV1X'))).toBe(true);
    expect(receivesVideoFormat(native, format('AV1', 'level-idx=5;profile=1;tier=0'))).toBe(false);
  });

  it('VP9 profile 0 only; VP8; nothing else', () => {
    expect(receivesVideoFormat(wasm, format('VP9', 'profile-id=0'))).toBe(true);
    expect(receivesVideoFormat(wasm, format('VP9'))).toBe(true);
    expect(receivesVideoFormat(wasm, format('VP9', 'profile-id=2'))).toBe(false);
    expect(receivesVideoFormat(wasm, format('VP8'))).toBe(true);
    expect(receivesVideoFormat(native, format('H265'))).toBe(false);
    expect(receivesVideoFormat(native, format('rtx', 'apt=96'))).toBe(false);
  });

  it('describes what is received', () => {
    expect(describeReceivedVideo(wasm)).toBe('VP8, VP9, H264 (constrained baseline)');
    expect(describeReceivedVideo(native)).toBe('VP8, VP9, H264 (constrained baseline, baseline, main, constrained high, high), AV1');
  });
});
