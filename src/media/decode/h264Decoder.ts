import { H264Decoder as H264BsdDecoder } from 'h264decoder';
import { chromaSize, type I420Frame } from '../i420Frame';
import { NAL_TYPE, nalType, splitAnnexB } from './annexB';
import { NO_CROP, spsCrop, type FrameCrop } from './h264Sps';
import { i420FromPacked, type VideoDecoder } from './videoDecoder';

/** The decoder's input buffer is fixed at 1 MiB. */
const MAX_ACCESS_UNIT_BYTES = 1024 * 1024;

/**
 * H264 (constrained baseline, as WebRTC offers with profile-level-id 42e01f) through h264bsd
 * compiled to WebAssembly. Takes Annex-B access units as werift's depacketizer emits them,
 * SPS and PPS in band; a picture comes out of the call that completes it.
 */
export class H264Decoder implements VideoDecoder {
  private decoder: H264BsdDecoder | null = new H264BsdDecoder();
  private crop: FrameCrop = NO_CROP;

  decode(accessUnit: Uint8Array): I420Frame | null {
    if (!this.decoder) throw new Error('the H264 decoder is closed');
    if (accessUnit.length > MAX_ACCESS_UNIT_BYTES) throw new Error(`an H264 access unit of ${accessUnit.length} bytes is over the 1 MiB limit`);
    for (const unit of splitAnnexB(accessUnit)) {
      if (nalType(unit) === NAL_TYPE.SPS) this.crop = spsCrop(unit);
    }
    const status = this.decoder.decode(accessUnit);
    if (status === H264BsdDecoder.ERROR || status === H264BsdDecoder.PARAM_SET_ERROR || status === H264BsdDecoder.MEMALLOC_ERROR) {
      throw new Error(`H264 access unit rejected by the decoder (status ${status})`);
    }
    if (status !== H264BsdDecoder.PIC_RDY) return null;
    const { width, height, pic } = this.decoder;
    // pic is a view into the decoder's memory: copy it before the next call.
    return cropI420(i420FromPacked(width, height, pic.slice()), this.crop);
  }

  close(): void {
    this.decoder = null;
  }
}

function cropI420(frame: I420Frame, crop: FrameCrop): I420Frame {
  if (crop.left + crop.right + crop.top + crop.bottom === 0) return frame;
  const width = frame.width - crop.left - crop.right;
  const height = frame.height - crop.top - crop.bottom;
  return {
    width,
    height,
    y: cropPlane(frame.y, frame.width, crop.left, crop.top, width, height),
    u: cropPlane(frame.u, chromaSize(frame.width), crop.left >> 1, crop.top >> 1, chromaSize(width), chromaSize(height)),
    v: cropPlane(frame.v, chromaSize(frame.width), crop.left >> 1, crop.top >> 1, chromaSize(width), chromaSize(height)),
  };
}

function cropPlane(plane: Uint8Array, stride: number, left: number, top: number, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let row = 0; row < height; row++) {
    const from = (row + top) * stride + left;
    out.set(plane.subarray(from, from + width), row * width);
  }
  return out;
}
