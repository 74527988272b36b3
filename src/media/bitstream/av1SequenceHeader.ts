import { BitReader } from './bitReader';
import { readingBits, type PictureSizes } from './pictureSizes';

/**
 * The largest picture an AV1 sequence header allows (AV1 spec 5.5.1: max_frame_width_minus_1,
 * max_frame_height_minus_1): every frame of the coded video sequence is at most that size
 * (frame_size_override_flag included; dav1d's frame_size_limit enforces it per frame too).
 * `payload` is the OBU's payload, without its header and size.
 */
export function av1SequenceHeaderSize(payload: Uint8Array): PictureSizes {
  return readingBits(() => {
    const reader = new BitReader(payload);
    reader.bits(3); // seq_profile
    reader.bits(1); // still_picture
    const reducedStillPictureHeader = reader.flag();
    if (reducedStillPictureHeader) {
      reader.bits(5); // seq_level_idx[0]
    } else {
      skipOperatingPoints(reader);
    }
    const widthBits = reader.bits(4) + 1;
    const heightBits = reader.bits(4) + 1;
    const width = reader.bits(widthBits) + 1;
    const height = reader.bits(heightBits) + 1;
    return { sizes: [{ width, height }] };
  });
}

/** timing_info, decoder_model_info and the operating points, which come before the size. */
function skipOperatingPoints(reader: BitReader): void {
  let decoderModelInfo = false;
  let bufferDelayBits = 0;
  if (reader.flag()) {
    // timing_info(): num_units_in_display_tick, time_scale, equal_picture_interval.
    reader.bits(32);
    reader.bits(32);
    if (reader.flag()) reader.uvlc(); // num_ticks_per_picture_minus_1
    decoderModelInfo = reader.flag();
    if (decoderModelInfo) {
      bufferDelayBits = reader.bits(5) + 1;
      reader.bits(32); // num_units_in_decoding_tick
      reader.bits(10); // buffer_removal_time_length_minus_1, frame_presentation_time_length_minus_1
    }
  }
  const initialDisplayDelay = reader.flag();
  const operatingPoints = reader.bits(5) + 1;
  for (let i = 0; i < operatingPoints; i++) {
    reader.bits(12); // operating_point_idc
    const level = reader.bits(5);
    if (level > 7) reader.bits(1); // seq_tier
    if (decoderModelInfo && reader.flag()) {
      // operating_parameters_info(): decoder_buffer_delay, encoder_buffer_delay, low_delay_mode_flag.
      reader.bits(bufferDelayBits);
      reader.bits(bufferDelayBits);
      reader.bits(1);
    }
    if (initialDisplayDelay && reader.flag()) reader.bits(4);
  }
}
