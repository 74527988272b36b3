/**
 * H264 profiles as SDP names them: `profile-level-id` (RFC 6184 8.1) is the SPS's profile_idc,
 * constraint flags byte and level_idc in hex (`42e01f`: profile_idc 66, constraint_set0 and 1,
 * level 3.1). Two ids of one profile match whatever their levels, as in libwebrtc
 * (api/video_codecs/h264_profile_level_id.cc), whose table of profiles this follows.
 */
export type H264Profile = 'constrained baseline' | 'baseline' | 'main' | 'constrained high' | 'high';

/** Each profile at level 3.1, as WebRTC offers them. */
export const H264_PROFILE_LEVEL_ID: Readonly<Record<H264Profile, string>> = {
  'constrained baseline': '42e01f',
  baseline: '42001f',
  main: '4d001f',
  'constrained high': '640c1f',
  high: '64001f',
};

/** profile_idc, a pattern of the constraint flags byte (x: either bit), the profile. First match wins. */
const PROFILE_PATTERNS: ReadonlyArray<readonly [number, string, H264Profile]> = [
  [0x42, 'x1xx0000', 'constrained baseline'],
  [0x4d, '1xxx0000', 'constrained baseline'],
  [0x58, '11xx0000', 'constrained baseline'],
  [0x42, 'x0xx0000', 'baseline'],
  [0x58, '10xx0000', 'baseline'],
  [0x4d, '0x0x0000', 'main'],
  [0x64, '00000000', 'high'],
  [0x64, '00001100', 'constrained high'],
];

/** The profile of an SDP profile-level-id (6 hex digits); undefined for one WebRTC does not use (e.g. High 4:4:4). */
export function h264ProfileOf(profileLevelId: string): H264Profile | undefined {
  if (!/^[0-9a-f]{6}$/i.test(profileLevelId)) return undefined;
  const profileIdc = parseInt(profileLevelId.slice(0, 2), 16);
  const flags = parseInt(profileLevelId.slice(2, 4), 16).toString(2).padStart(8, '0');
  const matches = (pattern: string) => [...pattern].every((bit, i) => bit === 'x' || bit === flags[i]);
  return PROFILE_PATTERNS.find(([idc, pattern]) => idc === profileIdc && matches(pattern))?.[2];
}

/** An fmtp line's parameters (`a=fmtp:<pt> ` already removed): `{ "profile-level-id": "42e01f", ... }`. */
export function fmtpParameters(fmtp: string): Map<string, string> {
  const parameters = new Map<string, string>();
  for (const pair of fmtp.split(';')) {
    const [key, ...value] = pair.trim().split('=');
    if (key) parameters.set(key.toLowerCase(), value.join('=').trim());
  }
  return parameters;
}

/**
 * The profile an H264 format's fmtp offers, if it is sent with packetization-mode 1 (the only
 * mode received: single NAL units, STAP-A and FU-A). No profile-level-id means constrained
 * baseline level 3.1, as libwebrtc reads it.
 */
export function offeredH264Profile(fmtp: string): H264Profile | undefined {
  const parameters = fmtpParameters(fmtp);
  if (parameters.get('packetization-mode') !== '1') return undefined;
  return h264ProfileOf(parameters.get('profile-level-id') ?? H264_PROFILE_LEVEL_ID['constrained baseline']);
}

/** An H264 format's profile for messages: `high`, `main packetization-mode 0`, `profile-level-id f4001f`. */
export function describeH264Format(fmtp: string): string {
  const parameters = fmtpParameters(fmtp);
  const id = parameters.get('profile-level-id') ?? H264_PROFILE_LEVEL_ID['constrained baseline'];
  const profile = h264ProfileOf(id) ?? `profile-level-id ${id}`;
  const mode = parameters.get('packetization-mode') ?? '0';
  return mode === '1' ? profile : `${profile} packetization-mode ${mode}`;
}

/** The fmtp of an H264 format of `profileLevelId`, as werift and browsers write it. */
export function h264Fmtp(profileLevelId: string): string {
  return `profile-level-id=${profileLevelId};packetization-mode=1;level-asymmetry-allowed=1`;
}
