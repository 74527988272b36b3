/** The part of an RTP packet the processors read (werift's RtpPacket satisfies it). */
export interface RtpLike {
  /** `ssrc`: the stream's SSRC, when the caller knows it (a change starts a new run of sequence numbers). */
  header: { timestamp: number; marker: boolean; sequenceNumber: number; payloadType: number; ssrc?: number };
  payload: Buffer;
}
