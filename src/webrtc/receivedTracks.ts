import { acceptBundleOnly } from './bundleOnly';

export interface TrackCounts {
  audio: number;
  video: number;
}

const DIRECTIONS = new Set(['a=sendrecv', 'a=sendonly', 'a=recvonly', 'a=inactive']);
const SENDING = new Set(['a=sendrecv', 'a=sendonly']);

/**
 * How many audio and video tracks an offer would send us: its m-sections whose direction
 * (the section's own, else the session-level one, else sendrecv) is sendonly or sendrecv and
 * whose port is not 0. A rejected or stopped section (port 0) sends nothing; a bundle-only
 * section of the BUNDLE group (port 0 too, as GStreamer offers it) is received and counts.
 */
export function receivedTrackCounts(sdp: string): TrackCounts {
  const counts: TrackCounts = { audio: 0, video: 0 };
  const [sessionPart = '', ...sections] = acceptBundleOnly(sdp).split(/\r?\n(?=m=)/);
  const sessionDirection = directionOf(sessionPart) ?? 'a=sendrecv';
  for (const section of sections) {
    const match = /^m=(audio|video) (\d+)/.exec(section);
    if (!match || match[2] === '0') continue;
    if (SENDING.has(directionOf(section) ?? sessionDirection)) counts[match[1] as keyof TrackCounts] += 1;
  }
  return counts;
}

/** The last direction attribute of an SDP part, or undefined. */
function directionOf(part: string): string | undefined {
  return part
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => DIRECTIONS.has(line))
    .pop();
}
