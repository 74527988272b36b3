/**
 * The hostile half of `npm run bench:hostile`: each attack runs until stopped and reports what it
 * sent and what it got back. All of it is what a party on the network could do: datagrams at
 * the ICE port range with no credential; offers and WHIP PATCHes over HTTP (with the token, when
 * one is set, as a holder of a publish token could); and, once connected, media and data-channel
 * messages crafted to make the server spend memory, sockets and event-loop time.
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes, randomInt } from 'node:crypto';
import { RtpHeader, RtpPacket, type RTCPeerConnection } from 'werift';
import { applyAnswer, createPublisher, type WhipPublisher } from '../../test/helpers/whipPublisher';
import { createPeerConnection } from '../../src/webrtc/peerConnectionFactory';
import { videoTimestampStepForFps } from '../../client/syntheticMedia';
import { JUNK_KINDS, junkDatagram, prng } from '../../test/helpers/junkDatagrams';

export interface Attack {
  name: string;
  /** Stops it and resolves with what it did. */
  stop(): Promise<Record<string, number>>;
}

const LOOPBACK = '127.0.0.1';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `step` every `intervalMs` until stopped; a step that throws is counted, not fatal. */
function repeat(name: string, intervalMs: number, step: (stats: Record<string, number>) => Promise<void> | void, cleanup: () => Promise<void> = async () => {}): Attack {
  const stats: Record<string, number> = { steps: 0, step_errors: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        await step(stats);
        stats.steps!++;
      } catch {
        stats.step_errors!++;
      }
      await sleep(intervalMs);
    }
  })();
  return {
    name,
    async stop() {
      running = false;
      await loop;
      await cleanup();
      return stats;
    },
  };
}

/** Junk datagrams of every shape at every port of the range, `perSecond` in all, from one socket with no session. */
export function udpSpray(ports: readonly [number, number], perSecond: number): Attack {
  const socket: Socket = createSocket('udp4');
  const random = prng(23);
  const batch = Math.max(1, Math.round(perSecond / 50));
  let port = ports[0];
  return repeat(
    'udp_spray',
    20,
    (stats) => {
      for (let i = 0; i < batch; i++) {
        socket.send(junkDatagram(JUNK_KINDS[randomInt(0, JUNK_KINDS.length)]!, random), port, LOOPBACK);
        port = port >= ports[1] ? ports[0] : port + 1;
        stats.datagrams = (stats.datagrams ?? 0) + 1;
      }
    },
    () => new Promise((resolve) => socket.close(() => resolve())),
  );
}

/** A minimal offer body with `sections` m-sections, built to break a budget. */
function craftedOffer(kind: 'hidden_direction' | 'many_sections' | 'bad_candidates', ufrag = randomBytes(4).toString('hex')): string {
  const session = ['v=0', `o=- ${randomInt(1, 1e9)} 2 IN IP4 127.0.0.1`, 's=-', 't=0 0'];
  const fingerprint = `a=fingerprint:sha-256 ${Array.from(randomBytes(32), (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':')}`;
  const section = (media: string, mid: number, extra: string[]) => [
    `m=${media} 9 UDP/TLS/RTP/SAVPF ${media === 'video' ? 96 : 111}`,
    'c=IN IP4 0.0.0.0',
    `a=ice-ufrag:${ufrag}`,
    'a=ice-pwd:0123456789abcdef0123456789',
    fingerprint,
    'a=setup:actpass',
    `a=mid:${mid}`,
    'a=rtcp-mux',
    media === 'video' ? 'a=rtpmap:96 VP8/90000' : 'a=rtpmap:111 opus/48000/2',
    ...extra,
  ];
  const lines: string[] = [...session];
  if (kind === 'hidden_direction') {
    lines.push(`a=group:BUNDLE ${Array.from({ length: 12 }, (_, i) => i).join(' ')}`);
    for (let i = 0; i < 12; i++) lines.push(...section('video', i, ['a=sendonly', 'a=x-note\na=inactive']));
  } else if (kind === 'many_sections') {
    for (let i = 0; i < 100; i++) lines.push(...section('audio', i, ['a=inactive']));
  } else {
    const candidates = Array.from({ length: 500 }, (_, i) => {
      const address = ['0.0.0.0', '224.0.0.1', '255.255.255.255', `${randomBytes(6).toString('hex')}.local`, '127.0.0.1'][i % 5];
      return `a=candidate:${i} 1 udp ${2130706431 - i} ${address} ${10000 + i} typ host`;
    });
    lines.push(...section('video', 0, ['a=sendonly', ...candidates]));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Offers that break a budget, one kind after another; counts the answers by status. */
export function badOffers(url: string, headers: Record<string, string>, intervalMs: number): Attack {
  const kinds = ['hidden_direction', 'many_sections', 'bad_candidates'] as const;
  let next = 0;
  const sessions: string[] = [];
  return repeat(
    'bad_offers',
    intervalMs,
    async (stats) => {
      const kind = kinds[next++ % kinds.length]!;
      const response = await fetch(`${url}/whip`, { method: 'POST', headers: { ...headers, 'content-type': 'application/sdp' }, body: craftedOffer(kind) });
      await response.arrayBuffer();
      stats[`${kind}_${response.status}`] = (stats[`${kind}_${response.status}`] ?? 0) + 1;
      const location = response.headers.get('location');
      if (location) sessions.push(location);
    },
    async () => {
      await Promise.allSettled(sessions.map((location) => fetch(new URL(location, url), { method: 'DELETE', headers })));
    },
  );
}

/** A connected WHIP publisher (werift, loopback) for the attacks that need a live session. */
async function publish(url: string, headers: Record<string, string>): Promise<{ publisher: WhipPublisher; location: string; etag: string | null }> {
  const publisher = await createPublisher();
  const response = await fetch(`${url}/whip`, { method: 'POST', headers: { ...headers, 'content-type': 'application/sdp' }, body: publisher.offerSdp });
  if (response.status !== 201) throw new Error(`WHIP POST answered ${response.status}: ${await response.text()}`);
  await applyAnswer(publisher, await response.text());
  return { publisher, location: new URL(response.headers.get('location')!, url).toString(), etag: response.headers.get('etag') };
}

/**
 * A live WHIP session PATCHing fragments of `perPatch` candidates that point at a UDP socket of
 * its own (the 'victim'): what the server sends there is the reflection it can be made to do.
 */
export async function candidateFlood(url: string, headers: Record<string, string>, perPatch: number, intervalMs: number): Promise<Attack> {
  const { publisher, location, etag } = await publish(url, headers);
  // Media keeps the session alive (no video for VIDEO_INACTIVITY_MS would end it) while it PATCHes.
  const keepAlive = setInterval(() => {
    for (const packet of publisher.video.source.nextFrame(1, videoTimestampStepForFps(10))) publisher.video.track.writeRtp(packet);
  }, 100);
  const victim = createSocket('udp4');
  const victimStats = { victim_datagrams: 0, victim_bytes: 0 };
  victim.on('message', (message) => {
    victimStats.victim_datagrams++;
    victimStats.victim_bytes += message.length;
  });
  await new Promise<void>((resolve) => victim.bind(0, LOOPBACK, () => resolve()));
  const victimPort = victim.address().port;
  const attack = repeat(
    'candidate_flood',
    intervalMs,
    async (stats) => {
      const lines = ['a=ice-ufrag:' + /a=ice-ufrag:(\S+)/.exec(publisher.offerSdp)![1], 'a=ice-pwd:' + /a=ice-pwd:(\S+)/.exec(publisher.offerSdp)![1], 'm=video 9 UDP/TLS/RTP/SAVPF 0', 'a=mid:0'];
      for (let i = 0; i < perPatch; i++) lines.push(`a=candidate:${randomInt(1, 1e9)} 1 udp ${randomInt(1, 2 ** 31)} 127.0.0.1 ${victimPort} typ host`);
      lines.push('a=candidate:1 1 udp 1 0.0.0.0 9 typ host', 'a=candidate:2 1 udp 1 224.0.0.251 5353 typ host');
      const body = `${lines.join('\r\n')}\r\n`;
      const response = await fetch(location, { method: 'PATCH', headers: { ...headers, 'content-type': 'application/trickle-ice-sdpfrag', 'if-match': etag ?? '*' }, body });
      await response.arrayBuffer();
      stats[`patch_${response.status}`] = (stats[`patch_${response.status}`] ?? 0) + 1;
      stats.patch_bytes = (stats.patch_bytes ?? 0) + body.length;
    },
    async () => {
      clearInterval(keepAlive);
      await fetch(location, { method: 'DELETE', headers }).catch(() => {});
      await publisher.pc.close();
      victim.close();
    },
  );
  return {
    name: attack.name,
    async stop() {
      const stats = await attack.stop();
      return { ...stats, ...victimStats };
    },
  };
}

/**
 * A VP8 keyframe of `bytes` bytes whose header claims a 16383 x 16383 picture (RFC 6386
 * section 9.1: frame tag, start code, 14-bit width and height): a decoder that believes it
 * allocates about 400 MB of picture buffers.
 */
export function vp8BombKeyframe(bytes = 74): Buffer {
  const frame = randomBytes(bytes);
  const firstPartitionSize = bytes - 10;
  const tag = (firstPartitionSize << 5) | (1 << 4) | 0; // show_frame, version 0, keyframe
  frame.writeUIntLE(tag, 0, 3);
  frame.set([0x9d, 0x01, 0x2a], 3);
  frame.writeUInt16LE(16383, 6);
  frame.writeUInt16LE(16383, 8);
  return frame;
}

/** A live WHIP session sending, each step, `frames` VP8 bomb keyframes. */
export async function pictureBomb(url: string, headers: Record<string, string>, intervalMs: number): Promise<Attack> {
  const { publisher, location } = await publish(url, headers);
  const { track, transceiver } = publisher.video;
  let sequenceNumber = randomInt(0, 0x10000);
  let timestamp = randomInt(0, 2 ** 32);
  let pictureId = 0;
  return repeat(
    'picture_bomb',
    intervalMs,
    (stats) => {
      const payload = Buffer.concat([Buffer.from([0x90, 0x80, 0x80 | ((pictureId >> 8) & 0x7f), pictureId & 0xff]), vp8BombKeyframe()]);
      pictureId = (pictureId + 1) & 0x7fff;
      const header = new RtpHeader({ payloadType: transceiver.sender.codec?.payloadType ?? 96, sequenceNumber, timestamp, marker: true });
      track.writeRtp(new RtpPacket(header, payload));
      sequenceNumber = (sequenceNumber + 1) & 0xffff;
      timestamp = (timestamp + 3000) >>> 0;
      stats.frames = (stats.frames ?? 0) + 1;
    },
    async () => {
      await fetch(location, { method: 'DELETE', headers }).catch(() => {});
      await publisher.pc.close();
    },
  );
}

/** A live WHIP session sending packets of one timestamp and no marker bit, `perStep` a step: a frame that never ends. */
export async function endlessFrame(url: string, headers: Record<string, string>, perStep: number, intervalMs: number): Promise<Attack> {
  const { publisher, location } = await publish(url, headers);
  const { track, transceiver } = publisher.video;
  let sequenceNumber = randomInt(0, 0x10000);
  const timestamp = randomInt(0, 2 ** 32);
  const payload = Buffer.concat([Buffer.from([0x80, 0x80, 0x80, 0x01]), randomBytes(1000)]);
  return repeat(
    'endless_frame',
    intervalMs,
    (stats) => {
      for (let i = 0; i < perStep; i++) {
        const header = new RtpHeader({ payloadType: transceiver.sender.codec?.payloadType ?? 96, sequenceNumber, timestamp, marker: false });
        track.writeRtp(new RtpPacket(header, payload));
        sequenceNumber = (sequenceNumber + 1) & 0xffff;
      }
      stats.packets = (stats.packets ?? 0) + perStep;
    },
    async () => {
      await fetch(location, { method: 'DELETE', headers }).catch(() => {});
      await publisher.pc.close();
    },
  );
}

/** An /offer client whose data channel sends junk, oversized and well-formed-but-unknown messages, `perStep` a step. */
export async function dataChannelFlood(url: string, headers: Record<string, string>, perStep: number, intervalMs: number): Promise<Attack> {
  const options = { iceServers: [], additionalHostAddresses: [LOOPBACK], interfaceAddress: LOOPBACK };
  const pc: RTCPeerConnection = createPeerConnection(options);
  const channel = pc.createDataChannel('events');
  pc.addTransceiver('video', { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  const response = await fetch(`${url}/offer`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ type: 'offer', sdp: pc.localDescription!.sdp }) });
  if (response.status !== 200) throw new Error(`/offer answered ${response.status}: ${await response.text()}`);
  const answer = (await response.json()) as { sdp: string; session_id: string };
  await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the data channel did not open')), 10_000);
    channel.stateChanged.subscribe((state) => state === 'open' && (clearTimeout(timer), resolve()));
    if (channel.readyState === 'open') (clearTimeout(timer), resolve());
  });
  const shapes = [() => randomBytes(randomInt(1, 200)).toString('latin1'), () => '{"type":"x"'.repeat(randomInt(1, 50)), () => JSON.stringify({ type: 'unknown', pad: 'x'.repeat(60_000) }), () => '\u001b[2J\nforged log line'];
  return repeat(
    'data_channel_flood',
    intervalMs,
    (stats) => {
      if (channel.readyState !== 'open') {
        stats.steps_closed = (stats.steps_closed ?? 0) + 1;
        return;
      }
      for (let i = 0; i < perStep; i++) {
        try {
          channel.send(shapes[randomInt(0, shapes.length)]!());
          stats.messages = (stats.messages ?? 0) + 1;
        } catch {
          // werift refuses to send a message over the answer's a=max-message-size
          stats.send_refused = (stats.send_refused ?? 0) + 1;
        }
      }
    },
    async () => {
      await fetch(`${url}/sessions/${answer.session_id}`, { method: 'DELETE', headers }).catch(() => {});
      await pc.close();
    },
  );
}
