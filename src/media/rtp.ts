/** The part of an RTP packet the processors read (werift's RtpPacket satisfies it). */
export interface RtpLike {
  header: { timestamp: number; marker: boolean; sequenceNumber: number; payloadType: number };
  payload: Buffer;
}
