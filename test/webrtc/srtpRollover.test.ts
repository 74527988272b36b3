/**
 * werift's SRTP packet index estimation as patched (patches/werift+0.25.2+013+srtp-rollover.patch), RFC 3711
 * section 3.3.1 and appendix A. werift 0.25.2 noticed a rollover only when the last and the new
 * sequence numbers were both within 100 of the ends of the sequence space: a sender whose numbers
 * crossed 2^16 by a larger step (more than 100 packets lost around the wrap, or a sender that
 * moved its numbers on, as after a restart) was decrypted with the wrong rollover counter from
 * then on, every packet failing authentication, and its tracks counted nothing more.
 *
 * The packets here are protected by libsrtp (Debian's python3-pylibsrtp, which aiortc uses; the
 * same library protects Chromium's media), so the index is the one a foreign sender computed.
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { ProtectionProfileAes128CmHmacSha1_80, RtpPacket, SrtpSession } from 'werift';

const MASTER_KEY = Buffer.alloc(16, 0x4b);
const MASTER_SALT = Buffer.alloc(14, 0x53);
const SSRC = 0x1234abcd;

/** Plain RTP packets with these sequence numbers, protected by libsrtp in one SRTP stream. */
function protectedByLibsrtp(sequenceNumbers: number[]): Buffer[] {
  const script = `
import sys, json
from pylibsrtp import Policy, Session
key = bytes.fromhex(sys.argv[1])
session = Session(policy=Policy(key=key, ssrc_type=Policy.SSRC_ANY_OUTBOUND, srtp_profile=Policy.SRTP_PROFILE_AES128_CM_SHA1_80))
out = []
for i, seq in enumerate(json.loads(sys.argv[2])):
    header = bytes([0x80, 96]) + seq.to_bytes(2, 'big') + (i * 3000).to_bytes(4, 'big') + (${SSRC}).to_bytes(4, 'big')
    out.append(session.protect(header + bytes([i % 256]) * 20).hex())
print(json.dumps(out))
`;
  const key = Buffer.concat([MASTER_KEY, MASTER_SALT]).toString('hex');
  const run = spawnSync('/usr/bin/python3', ['-c', script, key, JSON.stringify(sequenceNumbers)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`libsrtp sender failed: ${run.stderr}`);
  return (JSON.parse(run.stdout) as string[]).map((hex) => Buffer.from(hex, 'hex'));
}

function receiver(): SrtpSession {
  const keys = { localMasterKey: MASTER_KEY, localMasterSalt: MASTER_SALT, remoteMasterKey: MASTER_KEY, remoteMasterSalt: MASTER_SALT };
  return new SrtpSession({ keys, profile: ProtectionProfileAes128CmHmacSha1_80 });
}

/** The sequence numbers werift could decrypt (authentic), in arrival order. */
function decrypted(packets: Buffer[]): number[] {
  const session = receiver();
  const numbers: number[] = [];
  for (const packet of packets) {
    try {
      numbers.push(RtpPacket.deSerialize(session.decrypt(packet)).header.sequenceNumber);
    } catch {
      // failed authentication: left out
    }
  }
  return numbers;
}

const run = (from: number, count: number) => Array.from({ length: count }, (_, i) => (from + i) & 0xffff);

describe('SRTP packets from libsrtp whose sequence numbers cross 2^16 (patch 013 srtp-rollover)', () => {
  it.each([
    ['in steps of one (the ordinary wrap)', [...run(65530, 12)]],
    ['after 200 packets lost around the wrap', [...run(65400, 10), ...run(65410 + 200, 10)]],
    ['with a jump of 20000 on the way (a sender that moved its numbers on)', [...run(50000, 10), ...run(50010 + 20000, 10)]],
    ['with a jump of 2^15 - 2', [...run(40000, 10), ...run(40010 + 0x7ffe, 10)]],
    ['after a loss of 1000', [...run(65000, 10), ...run(65010 + 1000, 10)]],
  ])('are all decrypted: %s', (_what, sequenceNumbers) => {
    const packets = protectedByLibsrtp(sequenceNumbers);
    expect(decrypted(packets)).toEqual(sequenceNumbers);
  });

  it('late packets from before the wrap are still decrypted, and do not move the counter back', () => {
    const sequenceNumbers = [...run(65530, 6), 65531, ...run(0, 4), 65533, ...run(4, 4)];
    // libsrtp refuses to protect a repeated index, so the late ones are protected in order and sent late.
    const inOrder = [...run(65530, 6), ...run(0, 8)];
    const protectedPackets = protectedByLibsrtp(inOrder);
    const bySequence = new Map(inOrder.map((sequence, index) => [sequence, protectedPackets[index]!]));
    const arrivals = sequenceNumbers.map((sequence) => bySequence.get(sequence)!);
    // A repeated packet decrypts again (werift keeps no replay list); what matters is the index.
    expect(decrypted(arrivals)).toEqual(sequenceNumbers);
  });
});

/**
 * The estimation against the true index (RFC 3711: ROC * 2^16 + SEQ) of packets that arrive at
 * most 2^15 - 1 after or 1,000 before the highest index seen, as a receiver that commits only
 * authentic packets would see them (here every packet is authentic). A stream's first packet has
 * a rollover counter of 0, as RFC 3711 starts it.
 */
describe('SRTP index estimation (property)', () => {
  interface Context {
    srtpSSRCStates: Record<number, unknown>;
    estimateRolloverCounter(sequenceNumber: number, state: unknown): number;
    updateRolloverCount(sequenceNumber: number, state: unknown, roc: number): void;
    getSrtpSsrcState(ssrc: number): unknown;
  }

  it('gives every packet its true rollover counter', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.array(fc.integer({ min: -1000, max: 0x7fff }), { minLength: 1, maxLength: 300 }), (start, steps) => {
        const context = receiver().remoteContext as unknown as Context;
        const state = context.getSrtpSsrcState(SSRC);
        let highest = start;
        for (const step of [0, ...steps]) {
          const index = Math.max(0, highest + step);
          const roc = context.estimateRolloverCounter(index & 0xffff, state);
          if (roc !== Math.floor(index / 0x10000)) return false;
          context.updateRolloverCount(index & 0xffff, state, roc);
          highest = Math.max(highest, index);
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});
