"""Synthetic camera and microphone for aiortc_client.py: cheap to make, paced in real time.

aiortc encodes the video frames recv() returns (VP8); the audio is Opus encoded once at start.
"""
import asyncio
import fractions
import functools
import time

import av
import numpy
from aiortc import MediaStreamTrack
from aiortc.codecs.opus import OpusEncoder
from aiortc.mediastreams import MediaStreamError


class PacedTrack(MediaStreamTrack):
    """Hands out frames in real time, frame n at start + n * period, as a camera would."""

    def __init__(self, period_s: float):
        super().__init__()
        self.period_s, self.frames_sent, self._start = period_s, 0, None

    async def next_index(self) -> int:
        if self.readyState != "live":
            raise MediaStreamError  # how aiortc's sender learns the track stopped
        if self._start is None:
            self._start = time.monotonic()
        await asyncio.sleep(max(0.0, self._start + self.frames_sent * self.period_s - time.monotonic()))
        self.frames_sent += 1
        return self.frames_sent - 1


@functools.lru_cache(maxsize=1024)
def square_picture(w: int, h: int, left: int):
    """Grey with a red square at `left`, as one yuv420p array; shared, as from_ndarray copies it."""
    y, u, v = (numpy.full(shape, 128, numpy.uint8) for shape in ((h, w), (h // 2, w // 2), (h // 2, w // 2)))
    side, top = h // 6 * 2, (h - h // 6 * 2) // 4 * 2  # even, as chroma has half the resolution
    y[top:top + side, left:left + side] = 81  # BT.601 red: Y 81, U 90, V 240
    u[top // 2:(top + side) // 2, left // 2:(left + side) // 2] = 90
    v[top // 2:(top + side) // 2, left // 2:(left + side) // 2] = 240
    # from_ndarray takes yuv420p as one (h * 3/2, w) array: the planes one after the other.
    return numpy.concatenate([y.ravel(), u.ravel(), v.ravel()]).reshape(h * 3 // 2, w)


class SquareVideo(PacedTrack):
    """A red square moving over grey: cheap to make, and a colour detector finds it."""

    kind = "video"

    def __init__(self, width: int, height: int, fps: float):
        super().__init__(1 / fps)
        self.width, self.height, self.fps = width, height, fps

    async def recv(self):
        n = await self.next_index()
        w, h = self.width, self.height
        left = (n * 4) % (w - h // 6 * 2) // 2 * 2  # 4 pixels a frame, wrapping
        frame = av.VideoFrame.from_ndarray(square_picture(w, h, left), format="yuv420p")
        frame.pts, frame.time_base = round(n * 90000 / self.fps), fractions.Fraction(1, 90000)
        return frame


@functools.lru_cache(maxsize=1)
def tone_packets(seconds: int = 1):
    """A 400 Hz tone, encoded once per process by aiortc's own Opus encoder: 20 ms a packet."""
    encoder = OpusEncoder()
    phase = numpy.arange(960) * 2 * numpy.pi * 400 / 48000  # 8 periods: frames join seamlessly
    samples = (numpy.sin(phase) * 8000).astype(numpy.int16).tobytes()
    packets = []
    for n in range(seconds * 50):
        frame = av.AudioFrame(format="s16", layout="mono", samples=960)
        frame.planes[0].update(samples)
        frame.sample_rate, frame.pts, frame.time_base = 48000, n * 960, fractions.Fraction(1, 48000)
        payloads, _ = encoder.encode(frame)
        packets.extend(payloads)
    return packets


class ToneAudio(PacedTrack):
    """The tone's Opus packets, looping. recv() returns packets, not frames, so aiortc sends them
    as they are: encoding 50 frames a second per session (and aiortc's level computation for
    each) would cost the load generator a third of its CPU at K=10."""

    kind = "audio"

    def __init__(self):
        super().__init__(0.020)
        self.packets = tone_packets()

    async def recv(self):
        n = await self.next_index()
        packet = av.Packet(self.packets[n % len(self.packets)])
        packet.pts, packet.time_base = n * 960, fractions.Fraction(1, 48000)
        return packet
