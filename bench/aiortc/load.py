#!/usr/bin/python3
"""The aiortc load generator: K concurrent aiortc sessions replaying a pre-encoded clip.

Each session posts its offer to URL/offer (shared/API.md, the data channel opened first),
streams 640x480 30 fps VP8 and Opus for --seconds once connected, stops its senders (each sends
an RTCP BYE), waits for `stream_closed` and closes. Nothing is encoded per session: the clip is
made once by ffmpeg (a red square moving over noisy grey, about 1.1 Mbit/s, a keyframe every 3 s,
Opus 32 kbit/s) into a cache folder, and every session replays its packets in real time,
looping (aiortc's sender packetizes an av.Packet as it is instead of encoding a frame); a
keyframe request (PLI) skips ahead to the clip's next keyframe, as an encoder would send one.
Works against this repo's server and bench/aiortc/server.py alike.

Prints one JSON line per session, {"event": "session", ...} with its summary or its errors,
its frames sent, keyframes sent on request, and how late its sends were (late_frames: more than
a frame period after their time; max_late_ms), then {"event": "totals", ...}: the summaries'
counters added up, and this process's own CPU time. Exit code 0 when every session got its `stream_closed`. Needs Debian's python3-aiortc
(aiortc 1.4) and ffmpeg with libvpx and libopus: run it with /usr/bin/python3.
"""
import argparse
import asyncio
import fractions
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import aioice.ice
import av
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription

# The repo's aiortc client (test/foreign) has the real-time pacing and the proxy-less HTTP call.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "foreign"))
from aiortc_client import http_blocking, now_ms, parse_json  # noqa: E402
from aiortc_media import PacedTrack  # noqa: E402

CLIP_NAME = "red-square-640x480-30fps-vp8-opus-v2.webm"
CLIP_SECONDS = 10
# Summary counters added up in the totals line (null when no summary had the field).
SUMMED = ["total_frames_received", "total_frames_processed", "total_frames_dropped", "total_frames_analyzed",
          "total_frames_not_sampled", "total_detections", "audio_frames"]


def make_clip(path: str) -> None:
    """640x480 30 fps VP8 + Opus. Constant bit rate with a small buffer, so that keyframes stay
    near 25-40 kB as a browser's do (libvpx's default first keyframe here is 140 kB: a burst of
    120 packets that overflows a receiving socket's buffer); no hidden (alt-ref) frames, so one
    packet is one shown frame."""
    video = f"color=c=0x808080:s=640x480:r=30:d={CLIP_SECONDS}"
    square = f"color=c=red:s=128x128:r=30:d={CLIP_SECONDS}"
    tone = f"sine=frequency=440:sample_rate=48000:duration={CLIP_SECONDS}"
    graph = "[0:v]noise=alls=10:allf=t[bg];[bg][1:v]overlay=x='mod(t*160\\,512)':y='176+120*sin(t)',format=yuv420p[v]"
    partial = f"{path}.{os.getpid()}.webm"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-f", "lavfi", "-i", video, "-f", "lavfi", "-i", square,
         "-f", "lavfi", "-i", tone, "-filter_complex", graph, "-map", "[v]", "-map", "2:a",
         "-c:v", "libvpx", "-b:v", "1500k", "-minrate", "1500k", "-maxrate", "1500k", "-bufsize", "500k",
         "-g", "90", "-keyint_min", "90", "-deadline", "good", "-cpu-used", "2", "-auto-alt-ref", "0", "-lag-in-frames", "0",
         "-c:a", "libopus", "-b:a", "32k", "-frame_duration", "20",
         partial],
        check=True,
    )
    os.replace(partial, path)  # whole or absent, also with several generators at once


def load_clip(path: str) -> dict:
    """The clip's packets per kind, as bytes, in order, and the video's keyframe indexes (0 first)."""
    packets, keyframes = {"video": [], "audio": []}, []
    with av.open(path) as container:
        for packet in container.demux():
            if packet.size:
                kind = packets[packet.stream.type]
                if packet.stream.type == "video" and packet.is_keyframe:
                    keyframes.append(len(kind))
                kind.append(bytes(packet))
    if not packets["video"] or not packets["audio"] or keyframes[:1] != [0]:
        raise ValueError(f"{path}: needs a video stream that starts with a keyframe, and an audio stream")
    return dict(packets, keyframes=keyframes)


class ClipTrack(PacedTrack):
    """One kind of the clip's packets, looping, packet n stamped n periods after the first.

    A keyframe request (RTCP PLI) is answered as an encoder would: the next packet is a keyframe.
    The clip has one every 3 s, so the track skips ahead to the next one; the receiver then
    decodes again at once instead of waiting for the clip's own keyframe, as with a browser.
    """

    def __init__(self, kind: str, packets: list, period_s: float, clock_rate: int, keyframes=None):
        super().__init__(period_s)
        self.kind, self.packets, self.keyframes = kind, packets, keyframes or []
        self.ticks, self.time_base = round(period_s * clock_rate), fractions.Fraction(1, clock_rate)
        self.offset = 0  # how far the clip was skipped ahead for keyframe requests
        self.keyframe_wanted, self.keyframes_on_request = False, 0
        self.late_frames, self.max_late_s = 0, 0.0  # handed out more than a period after their time

    def request_keyframe(self) -> None:
        self.keyframe_wanted = bool(self.keyframes)

    async def recv(self):
        n = await self.next_index()
        late = time.monotonic() - (self._start + n * self.period_s)
        self.max_late_s = max(self.max_late_s, late)
        self.late_frames += late > self.period_s
        if self.keyframe_wanted:
            self.keyframe_wanted = False
            at = (n + self.offset) % len(self.packets)
            following = next((k for k in self.keyframes if k >= at), len(self.packets))  # the end: loop to 0
            self.offset += following - at
            self.keyframes_on_request += 1
        packet = av.Packet(self.packets[(n + self.offset) % len(self.packets)])
        packet.pts, packet.time_base = n * self.ticks, self.time_base
        return packet


def only_codec(transceiver, mime_type: str) -> None:
    codecs = RTCRtpSender.getCapabilities(transceiver.kind).codecs
    transceiver.setCodecPreferences([codec for codec in codecs if codec.mimeType == mime_type])


class Session:
    def __init__(self, index: int, args, clip: dict, pool: ThreadPoolExecutor):
        self.index, self.args, self.pool = index, args, pool
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))  # no STUN: nothing leaves the host
        self.video = ClipTrack("video", clip["video"], 1 / 30, 90000, clip["keyframes"])
        self.audio = ClipTrack("audio", clip["audio"], 0.020, 48000)
        self.connected, self.closed = asyncio.Event(), asyncio.Event()
        self.session_id = self.closed_event = self.setup_ms = self.end_to_closed_ms = None
        self.errors = []

    async def run(self) -> dict:
        try:
            await asyncio.sleep(self.index * self.args.spread_ms / self.args.sessions / 1000)
            await self.connect()
            await asyncio.sleep(self.args.seconds)
            ending_at = now_ms()
            # Stopping a sender ends its RTCP loop with an RTCP BYE for its SSRC.
            await asyncio.gather(*(t.sender.stop() for t in self.pc.getTransceivers()))
            await self.within(self.closed.wait(), "stream_closed")
            self.end_to_closed_ms = round(now_ms() - ending_at, 3)
        except Exception as error:  # reported in this session's line; the others go on
            self.errors.append(f"{type(error).__name__}: {error}")
        finally:
            await self.pc.close()
        event = self.closed_event or {}
        return dict(
            event="session", session=self.index, ok=not self.errors, session_id=self.session_id,
            setup_ms=self.setup_ms, end_to_closed_ms=self.end_to_closed_ms, reason=event.get("reason"),
            summary=event.get("summary"), video_frames_sent=self.video.frames_sent,
            audio_frames_sent=self.audio.frames_sent, keyframes_on_request=self.video.keyframes_on_request,
            late_frames=self.video.late_frames + self.audio.late_frames,
            max_late_ms=round(1000 * max(self.video.max_late_s, self.audio.max_late_s), 1), errors=self.errors,
        )

    async def connect(self) -> None:
        pc = self.pc
        channel = pc.createDataChannel("events")  # before the offer, as the contract asks
        channel.on("message", self.on_message)

        @pc.on("connectionstatechange")
        def on_state():
            if pc.connectionState == "connected":
                self.connected.set()

        video = pc.addTransceiver(self.video, direction="sendonly")
        only_codec(video, "video/VP8")
        # aiortc's sender answers a PLI by asking its encoder for a keyframe; there is none here.
        video.sender._send_keyframe = self.video.request_keyframe
        only_codec(pc.addTransceiver(self.audio, direction="sendonly"), "audio/opus")
        await pc.setLocalDescription(await pc.createOffer())  # aiortc gathers here: no trickle
        posted_at = now_ms()
        body = json.dumps({"sdp": pc.localDescription.sdp, "type": "offer"}).encode()
        status, _, reply = await asyncio.get_running_loop().run_in_executor(
            self.pool, http_blocking, "POST", f"{self.args.url}/offer", body, "application/json", None)
        if status != 200:
            raise RuntimeError(f"POST /offer answered {status}: {reply[:300]!r}")
        answer = json.loads(reply)
        self.session_id = answer["session_id"]
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
        await self.within(self.connected.wait(), "connectionState connected")
        self.setup_ms = round(now_ms() - posted_at, 3)

    def on_message(self, data) -> None:
        event = parse_json(data) if isinstance(data, str) else None
        if isinstance(event, dict) and event.get("event_type") == "stream_closed" and not self.closed.is_set():
            self.closed_event = event
            self.closed.set()

    async def within(self, awaitable, what: str):
        try:
            return await asyncio.wait_for(awaitable, self.args.timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(f"no {what} within {self.args.timeout} s") from None


def totals(results: list, wall_seconds: float) -> dict:
    summaries = [r["summary"] for r in results if isinstance(r["summary"], dict)]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    line = dict(event="totals", sessions=len(results), ok=sum(r["ok"] for r in results), summaries=len(summaries),
                video_frames_sent=sum(r["video_frames_sent"] for r in results),
                audio_frames_sent=sum(r["audio_frames_sent"] for r in results),
                keyframes_on_request=sum(r["keyframes_on_request"] for r in results),
                late_frames=sum(r["late_frames"] for r in results),
                max_late_ms=max((r["max_late_ms"] for r in results), default=0))
    for field in SUMMED:
        values = [s[field] for s in summaries if isinstance(s.get(field), (int, float))]
        line[field] = sum(values) if values else None
    line.update(cpu_seconds=round(usage.ru_utime + usage.ru_stime, 3), wall_seconds=round(wall_seconds, 3))
    return line


async def main(argv) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="the server, e.g. http://127.0.0.1:8080")
    parser.add_argument("--sessions", type=int, default=1, help="concurrent sessions (K)")
    parser.add_argument("--seconds", type=float, default=10, help="stream this long once connected")
    parser.add_argument("--spread-ms", type=float, default=0, help="start the K sessions evenly over this time")
    parser.add_argument("--timeout", type=float, default=20, help="seconds to wait for connected, and for stream_closed")
    parser.add_argument("--clip", help="a webm with VP8 640x480 30 fps and 20 ms Opus (default: made once by ffmpeg)")
    parser.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(), "stream-closure-bench"))
    parser.add_argument("--prepare", action="store_true", help="only make the clip (if missing), print its path, exit")
    args = parser.parse_args(argv)
    if not args.url and not args.prepare:
        parser.error("--url is needed")
    args.url = (args.url or "").rstrip("/")
    if args.clip is None:
        os.makedirs(args.cache_dir, exist_ok=True)
        args.clip = os.path.join(args.cache_dir, CLIP_NAME)
        if not os.path.exists(args.clip):
            make_clip(args.clip)
    clip = load_clip(args.clip)
    if args.prepare:
        print(json.dumps({"event": "prepared", "clip": args.clip, "video_packets": len(clip["video"]),
                          "audio_packets": len(clip["audio"]), "keyframes": clip["keyframes"]}), flush=True)
        return 0
    # aioice offers every interface but loopback; the server is on loopback and nothing may leave.
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.sessions) as pool:  # one thread per session's POST
        sessions = [Session(i, args, clip, pool) for i in range(args.sessions)]

        async def run_and_print(session):
            result = await session.run()
            print(json.dumps(result), flush=True)
            return result

        results = await asyncio.gather(*(run_and_print(s) for s in sessions))
    print(json.dumps(totals(results, time.monotonic() - started)), flush=True)
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
