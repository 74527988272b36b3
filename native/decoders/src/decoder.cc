// One video decoder per instance, synchronous, single-threaded, returning tightly packed I420
// (src/media/decode/nativeDecoder.ts is its only user). VP8/VP9 through libvpx, AV1 through libdav1d, H264 through OpenH264:
// all BSD-licensed, linked dynamically from the distribution's packages.
#include <napi.h>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>
#include <dav1d/dav1d.h>
#include <wels/codec_api.h>
#include <opus/opus.h>
#include <cmath>
#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace {

// Copies three strided planes into one packed I420 buffer: `target` (a Uint8Array the caller
// is done with) when it is large enough, else a new Buffer.
Napi::Value PackI420(Napi::Env env, Napi::Value target, int width, int height, const uint8_t* const planes[3], const int strides[3]) {
  const int cw = (width + 1) / 2, ch = (height + 1) / 2;
  const size_t size = size_t(width) * height + 2 * size_t(cw) * ch;
  Napi::Uint8Array out;
  if (target.IsTypedArray() && target.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array &&
      target.As<Napi::Uint8Array>().ByteLength() >= size) {
    out = target.As<Napi::Uint8Array>();
  } else {
    out = Napi::Buffer<uint8_t>::New(env, size);
  }
  // No buffer when the thread is being terminated (a worker replaced or closed mid-decode).
  if (out.IsEmpty() || out.Data() == nullptr) return env.Null();
  uint8_t* dst = out.Data();
  for (int p = 0; p < 3; p++) {
    const int w = p == 0 ? width : cw, h = p == 0 ? height : ch;
    for (int row = 0; row < h; row++, dst += w) memcpy(dst, planes[p] + size_t(row) * strides[p], w);
  }
  Napi::Object picture = Napi::Object::New(env);
  picture.Set("width", width);
  picture.Set("height", height);
  picture.Set("data", out);
  return picture;
}

class Decoder : public Napi::ObjectWrap<Decoder> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports) {
    Napi::Function ctor = DefineClass(env, "Decoder", {
      InstanceMethod("decode", &Decoder::Decode),
      InstanceMethod("close", &Decoder::Close),
    });
    exports.Set("Decoder", ctor);
    exports.Set("codecs", CodecList(env));
    return exports;
  }

  // new Decoder(codec, maxPicturePixels?): pictures over maxPicturePixels (0 or absent: no
  // limit) are refused before the decoder allocates for them, where the library lets us see
  // their size first (a second line: the server reads the sizes from the headers before this).
  explicit Decoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Decoder>(info) {
    Napi::Env env = info.Env();
    codec_ = info[0].As<Napi::String>().Utf8Value();
    if (info.Length() > 1 && info[1].IsNumber()) {
      const double limit = info[1].As<Napi::Number>().DoubleValue();
      max_pixels_ = limit > 0 && limit < 4294967295.0 ? uint64_t(limit) : 0;
    }
    if (codec_ == "vp8" || codec_ == "vp9") {
      vpx_codec_dec_cfg_t cfg = {1, 0, 0};  // one thread, size from the stream
      if (vpx_codec_dec_init(&vpx_, codec_ == "vp8" ? vpx_codec_vp8_dx() : vpx_codec_vp9_dx(), &cfg, 0) != VPX_CODEC_OK) {
        Napi::Error::New(env, "libvpx: cannot open the decoder").ThrowAsJavaScriptException();
        return;
      }
      open_ = true;
    } else if (codec_ == "av1") {
      Dav1dSettings settings;
      dav1d_default_settings(&settings);
      settings.n_threads = 1;
      settings.max_frame_delay = 1;
      // dav1d refuses a sequence or frame header over this many pixels before allocating.
      settings.frame_size_limit = unsigned(max_pixels_);
      // dav1d writes every bitstream error to stderr: a peer sending junk would flood the log
      // outside its rate limit. The error still reaches the caller as a rejected frame.
      settings.logger.callback = nullptr;
      if (dav1d_open(&dav1d_, &settings) < 0) {
        Napi::Error::New(env, "dav1d: cannot open the decoder").ThrowAsJavaScriptException();
        return;
      }
      open_ = true;
    } else if (codec_ == "h264") {
      if (WelsCreateDecoder(&h264_) != 0 || !h264_) {
        Napi::Error::New(env, "openh264: cannot create the decoder").ThrowAsJavaScriptException();
        return;
      }
      int quiet = WELS_LOG_QUIET;
      h264_->SetOption(DECODER_OPTION_TRACE_LEVEL, &quiet);
      SDecodingParam param;
      memset(&param, 0, sizeof(param));
      param.sVideoProperty.eVideoBsType = VIDEO_BITSTREAM_AVC;
      param.eEcActiveIdc = ERROR_CON_DISABLE;
      if (h264_->Initialize(&param) != 0) {
        WelsDestroyDecoder(h264_);
        h264_ = nullptr;
        Napi::Error::New(env, "openh264: cannot initialise the decoder").ThrowAsJavaScriptException();
        return;
      }
      open_ = true;
    } else {
      Napi::TypeError::New(env, "codec must be vp8, vp9, av1 or h264").ThrowAsJavaScriptException();
    }
  }

  ~Decoder() override { Release(); }

 private:
  static Napi::Array CodecList(Napi::Env env) {
    Napi::Array list = Napi::Array::New(env);
    const char* names[] = {"vp8", "vp9", "av1", "h264"};
    for (uint32_t i = 0; i < 4; i++) list.Set(i, names[i]);
    return list;
  }

  // decode(data: Uint8Array, target?: Uint8Array): { width, height, data } | null, the last
  // picture that came out; data is `target` when the picture fits in it, else a new Buffer.
  Napi::Value Decode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!open_) {
      Napi::Error::New(env, "the decoder is closed").ThrowAsJavaScriptException();
      return env.Null();
    }
    Napi::Uint8Array input = info[0].As<Napi::Uint8Array>();
    const uint8_t* data = input.Data();
    const size_t size = input.ByteLength();
    target_ = info[1];
    if (codec_ == "vp8" || codec_ == "vp9") return DecodeVpx(env, data, size);
    if (codec_ == "av1") return DecodeAv1(env, data, size);
    return DecodeH264(env, data, size);
  }

  Napi::Value DecodeVpx(Napi::Env env, const uint8_t* data, size_t size) {
    std::string tooLarge = VpxPictureOverLimit(data, size);
    if (!tooLarge.empty()) {
      Napi::Error::New(env, "libvpx: a " + tooLarge + " picture is over the limit of " + std::to_string(max_pixels_) + " pixels")
          .ThrowAsJavaScriptException();
      return env.Null();
    }
    if (vpx_codec_decode(&vpx_, data, unsigned(size), nullptr, 0) != VPX_CODEC_OK) {
      Napi::Error::New(env, std::string("libvpx: ") + vpx_codec_error(&vpx_)).ThrowAsJavaScriptException();
      return env.Null();
    }
    Napi::Value picture = env.Null();
    vpx_codec_iter_t iter = nullptr;
    while (vpx_image_t* img = vpx_codec_get_frame(&vpx_, &iter)) {
      if (img->fmt != VPX_IMG_FMT_I420) {
        Napi::Error::New(env, "libvpx: not an I420 picture").ThrowAsJavaScriptException();
        return env.Null();
      }
      const uint8_t* planes[3] = {img->planes[0], img->planes[1], img->planes[2]};
      const int strides[3] = {img->stride[0], img->stride[1], img->stride[2]};
      picture = PackI420(env, target_, int(img->d_w), int(img->d_h), planes, strides);
    }
    return picture;
  }

  // libvpx has no size limit of its own: peek at the size each key frame (or VP9 intra-only
  // frame) declares, as the decoder will read it, before it allocates: every frame a VP9
  // superframe index lists, else the data as one frame. "WxH" of the first over the limit, or "".
  std::string VpxPictureOverLimit(const uint8_t* data, size_t size) {
    if (max_pixels_ == 0 || size == 0) return "";
    std::vector<std::pair<const uint8_t*, size_t>> frames;
    const uint8_t marker = data[size - 1];
    if (codec_ == "vp9" && (marker & 0xe0) == 0xc0) {
      const size_t count = (marker & 0x7) + 1, bytes = ((marker >> 3) & 0x3) + 1, index = 2 + bytes * count;
      if (size >= index && data[size - index] == marker) {
        const uint8_t* at = data + size - index + 1;
        size_t offset = 0;
        for (size_t i = 0; i < count; i++) {
          size_t frame = 0;
          for (size_t j = 0; j < bytes; j++) frame |= size_t(*at++) << (8 * j);
          if (frame > size - offset) break;
          frames.emplace_back(data + offset, frame);
          offset += frame;
        }
      }
    }
    if (frames.empty()) frames.emplace_back(data, size);
    vpx_codec_iface_t* iface = codec_ == "vp8" ? vpx_codec_vp8_dx() : vpx_codec_vp9_dx();
    for (const auto& [start, length] : frames) {
      vpx_codec_stream_info_t info = {};
      info.sz = sizeof(info);
      if (length > 0 && vpx_codec_peek_stream_info(iface, start, unsigned(length), &info) == VPX_CODEC_OK &&
          uint64_t(info.w) * info.h > max_pixels_) {
        return std::to_string(info.w) + "x" + std::to_string(info.h);
      }
    }
    return "";
  }

  Napi::Value DecodeAv1(Napi::Env env, const uint8_t* data, size_t size) {
    Dav1dData in = {};
    uint8_t* buf = dav1d_data_create(&in, size);
    if (!buf) {
      Napi::Error::New(env, "dav1d: out of memory").ThrowAsJavaScriptException();
      return env.Null();
    }
    memcpy(buf, data, size);
    Napi::Value picture = env.Null();
    while (in.sz > 0) {
      int res = dav1d_send_data(dav1d_, &in);
      if (res < 0 && res != DAV1D_ERR(EAGAIN)) {
        dav1d_data_unref(&in);
        Napi::Error::New(env, "dav1d: data rejected").ThrowAsJavaScriptException();
        return env.Null();
      }
      if (!DrainAv1(env, &picture)) {
        dav1d_data_unref(&in);
        return env.Null();
      }
    }
    return picture;
  }

  bool DrainAv1(Napi::Env env, Napi::Value* picture) {
    for (;;) {
      Dav1dPicture pic = {};
      int res = dav1d_get_picture(dav1d_, &pic);
      if (res == DAV1D_ERR(EAGAIN)) return true;
      if (res < 0) {
        Napi::Error::New(env, "dav1d: decoding failed").ThrowAsJavaScriptException();
        return false;
      }
      if (pic.p.layout != DAV1D_PIXEL_LAYOUT_I420 || pic.p.bpc != 8) {
        dav1d_picture_unref(&pic);
        Napi::Error::New(env, "dav1d: not an 8-bit I420 picture").ThrowAsJavaScriptException();
        return false;
      }
      const uint8_t* planes[3] = {static_cast<uint8_t*>(pic.data[0]), static_cast<uint8_t*>(pic.data[1]), static_cast<uint8_t*>(pic.data[2])};
      const int strides[3] = {int(pic.stride[0]), int(pic.stride[1]), int(pic.stride[1])};
      *picture = PackI420(env, target_, pic.p.w, pic.p.h, planes, strides);
      dav1d_picture_unref(&pic);
    }
  }

  Napi::Value DecodeH264(Napi::Env env, const uint8_t* data, size_t size) {
    unsigned char* dst[3] = {nullptr, nullptr, nullptr};
    SBufferInfo out;
    memset(&out, 0, sizeof(out));
    DECODING_STATE state = h264_->DecodeFrameNoDelay(data, int(size), dst, &out);
    if (state != dsErrorFree && out.iBufferStatus != 1) {
      Napi::Error::New(env, "openh264: access unit rejected (state " + std::to_string(int(state)) + ")").ThrowAsJavaScriptException();
      return env.Null();
    }
    if (out.iBufferStatus != 1) {
      // With CABAC (main/high) OpenH264 holds each picture back for display reordering. WebRTC
      // sends no B-frames, so nothing is reordered: take the held picture out at once.
      memset(&out, 0, sizeof(out));
      h264_->FlushFrame(dst, &out);
      if (out.iBufferStatus != 1) return env.Null();
    }
    const SSysMEMBuffer& sys = out.UsrData.sSystemBuffer;
    const uint8_t* planes[3] = {out.pDst[0], out.pDst[1], out.pDst[2]};
    const int strides[3] = {sys.iStride[0], sys.iStride[1], sys.iStride[1]};
    return PackI420(env, target_, sys.iWidth, sys.iHeight, planes, strides);
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Release();
    return info.Env().Undefined();
  }

  void Release() {
    if (!open_) return;
    open_ = false;
    if (codec_ == "vp8" || codec_ == "vp9") vpx_codec_destroy(&vpx_);
    else if (codec_ == "av1") dav1d_close(&dav1d_);
    else if (h264_) {
      h264_->Uninitialize();
      WelsDestroyDecoder(h264_);
      h264_ = nullptr;
    }
#ifdef __GLIBC__
    // A decoder frees megabytes of picture buffers; glibc keeps freed memory for reuse and
    // rarely returns it, so the server's resident memory would stay at its peak after a burst
    // of sessions. Give it back now (once per stream, at its end).
    malloc_trim(0);
#endif
  }

  std::string codec_;
  // The current decode() call's target buffer (valid during that call only).
  Napi::Value target_;
  bool open_ = false;
  uint64_t max_pixels_ = 0;
  vpx_codec_ctx_t vpx_ = {};
  Dav1dContext* dav1d_ = nullptr;
  ISVCDecoder* h264_ = nullptr;
};

// Opus packets decoded by libopus for their level only: level(packet) is the RMS of the decoded
// samples (every channel) in dBov, floored at -127 (RFC 6464's digital silence). The samples
// never leave C: a 20 ms stereo packet is 7.5 KB of floats the server has no use for.
class OpusLevelMeter : public Napi::ObjectWrap<OpusLevelMeter> {
 public:
  static void Init(Napi::Env env, Napi::Object exports) {
    exports.Set("OpusLevelMeter", DefineClass(env, "OpusLevelMeter", {
      InstanceMethod("level", &OpusLevelMeter::Level),
      InstanceMethod("close", &OpusLevelMeter::Close),
    }));
  }

  explicit OpusLevelMeter(const Napi::CallbackInfo& info) : Napi::ObjectWrap<OpusLevelMeter>(info) {
    int error = OPUS_OK;
    opus_ = opus_decoder_create(kSampleRate, kChannels, &error);
    if (error != OPUS_OK || !opus_) {
      opus_ = nullptr;
      Napi::Error::New(info.Env(), std::string("libopus: ") + opus_strerror(error)).ThrowAsJavaScriptException();
    }
  }

  ~OpusLevelMeter() override { Release(); }

 private:
  static constexpr int kSampleRate = 48000;
  static constexpr int kChannels = 2;
  // 120 ms at 48 kHz: the longest an Opus packet can be.
  static constexpr int kMaxSamplesPerChannel = 5760;

  Napi::Value Level(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!opus_) {
      Napi::Error::New(env, "the meter is closed").ThrowAsJavaScriptException();
      return env.Null();
    }
    Napi::Uint8Array input = info[0].As<Napi::Uint8Array>();
    const int decoded = opus_decode_float(opus_, input.Data(), opus_int32(input.ByteLength()), pcm_, kMaxSamplesPerChannel, 0);
    if (decoded < 0) {
      Napi::Error::New(env, std::string("libopus: ") + opus_strerror(decoded)).ThrowAsJavaScriptException();
      return env.Null();
    }
    double sumOfSquares = 0;
    const int count = decoded * kChannels;
    for (int i = 0; i < count; i++) sumOfSquares += double(pcm_[i]) * pcm_[i];
    double dbov = -127;
    if (count > 0 && sumOfSquares > 0) dbov = std::fmax(-127.0, 10 * std::log10(sumOfSquares / count));
    return Napi::Number::New(env, dbov);
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Release();
    return info.Env().Undefined();
  }

  void Release() {
    if (opus_) opus_decoder_destroy(opus_);
    opus_ = nullptr;
  }

  OpusDecoder* opus_ = nullptr;
  float pcm_[kMaxSamplesPerChannel * kChannels];
};

Napi::Object InitAll(Napi::Env env, Napi::Object exports) {
  OpusLevelMeter::Init(env, exports);
  return Decoder::Init(env, exports);
}

}  // namespace

NODE_API_MODULE(native_decoders, InitAll)
