#!/usr/bin/python3
"""A baseline aiortc server for the benches: what a Python stack does with the same load.

Not part of the product. It speaks as much of the ingest server's wire contract
(shared/API.md) as a load generator meets: `POST /offer` with {"sdp", "type"} answers
{"sdp", "type": "answer", "session_id"}; the client's first data channel gets
`session_started`, and `stream_closed` with a summary once the client's tracks have ended
(RTCP BYE: aiortc's recv() raises MediaStreamError) or it sent {"type": "end_stream"}; then
the peer connection is closed. Every received video and audio frame is decoded, as aiortc
does on its own (a decoder thread per track; `await track.recv()` returns the decoded
av.VideoFrame / av.AudioFrame); nothing is analysed. Summary counters:

  total_frames_received   complete encoded video frames handed to the decoder
  total_frames_processed  video frames decoded (returned by recv())
  total_frames_dropped    the difference (frames the decoder gave no picture for)
  audio_frames, audio_seconds, duration_sec, start_time, end_time (epoch ms)

Run with Debian's python3-aiortc (aiortc 1.4): /usr/bin/python3 server.py --port 0. It listens
on 127.0.0.1, offers only the loopback host candidate, and prints one JSON line
{"event": "listening", "port": N} once it accepts offers, then one {"event": "session_closed",
...} line per session. SIGTERM or SIGINT closes every session and exits.
"""
import argparse
import asyncio
import json
import queue
import signal
import sys
import time
import uuid

import aioice.ice
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

SESSIONS = {}
# After stream_closed, wait this long for the client to close (it has the message then) before
# closing ourselves: aiortc has no per-message acknowledgement to wait for.
CLOSE_GRACE_S = 5


def say(**fields) -> None:
    print(json.dumps(fields), flush=True)


class CountingQueue(queue.Queue):
    """A receiver's decoder queue that counts the encoded frames put in (None ends the thread)."""

    def __init__(self):
        super().__init__()
        self.frames = 0

    def put(self, item, block=True, timeout=None):
        if item is not None:
            self.frames += 1
        super().put(item, block, timeout)


class Session:
    def __init__(self):
        self.id = str(uuid.uuid4())
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.channel = None
        self.video_queues = []  # one CountingQueue per video receiver
        self.decoded = self.audio_frames = self.audio_samples = 0
        self.consumers = []
        self.started_at = time.time()
        self.ended = asyncio.Event()  # stream_closed sent (or could not be)
        self.finished = False
        self.pc.on("datachannel", self.on_datachannel)
        self.pc.on("track", self.on_track)
        self.pc.on("connectionstatechange", self.on_state)

    async def answer(self, offer: dict) -> dict:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type=offer["type"]))
        await self.pc.setLocalDescription(await self.pc.createAnswer())  # gathers: no trickle
        asyncio.ensure_future(self.watch_tracks())
        return {"sdp": self.pc.localDescription.sdp, "type": "answer", "session_id": self.id}

    def on_datachannel(self, channel) -> None:
        if self.channel is not None:
            return  # the first channel the client opens is the events channel
        self.channel = channel
        channel.on("message", self.on_message)
        self.send({"event_type": "session_started", "session_id": self.id})

    def on_message(self, data) -> None:
        try:
            message = json.loads(data) if isinstance(data, str) else None
        except ValueError:
            message = None
        if isinstance(message, dict) and message.get("type") == "end_stream":
            asyncio.ensure_future(self.finish("client_request"))

    def on_track(self, track) -> None:
        if track.kind == "video":
            # Swapped in before the receiver starts its decoder thread (in setLocalDescription).
            receiver = next(t.receiver for t in self.pc.getTransceivers() if t.receiver.track is track)
            counting = CountingQueue()
            receiver._RTCRtpReceiver__decoder_queue = counting
            self.video_queues.append(counting)
        self.consumers.append(asyncio.ensure_future(self.consume(track)))

    async def consume(self, track) -> None:
        try:
            while True:
                frame = await track.recv()
                if track.kind == "video":
                    self.decoded += 1
                else:
                    self.audio_frames += 1
                    self.audio_samples += frame.samples
        except MediaStreamError:
            pass  # the track ended: RTCP BYE, or the connection closed

    async def watch_tracks(self) -> None:
        if self.consumers:
            await asyncio.gather(*self.consumers)
            await self.finish("tracks_ended")

    def on_state(self) -> None:
        state = self.pc.connectionState
        if state in ("failed", "closed"):
            asyncio.ensure_future(self.finish("peer_failed" if state == "failed" else "peer_closed"))

    def send(self, event: dict) -> bool:
        if self.channel is None or self.channel.readyState != "open":
            return False
        self.channel.send(json.dumps(event))
        return True

    def summary(self, ended_at: float) -> dict:
        received = sum(q.frames for q in self.video_queues)
        return {
            "total_frames_received": received,
            "total_frames_processed": self.decoded,
            "total_frames_dropped": max(0, received - self.decoded),
            "total_detections": 0,
            "duration_sec": round(ended_at - self.started_at, 3),
            "audio_frames": self.audio_frames,
            "audio_seconds": round(self.audio_samples / 48000, 3),
            "start_time": round(self.started_at * 1000),
            "end_time": round(ended_at * 1000),
        }

    async def finish(self, reason: str) -> None:
        """Once: stream_closed with the summary, then close the peer connection."""
        if self.finished:
            return
        self.finished = True
        summary = self.summary(time.time())
        sent = self.send({"event_type": "stream_closed", "session_id": self.id, "reason": reason, "summary": summary})
        if sent:
            closed = asyncio.Event()
            self.channel.on("close", closed.set)
            try:
                await asyncio.wait_for(closed.wait(), CLOSE_GRACE_S)
            except asyncio.TimeoutError:
                pass
        await self.pc.close()
        SESSIONS.pop(self.id, None)
        say(event="session_closed", session_id=self.id, reason=reason, summary=summary)


async def handle_offer(body: bytes):
    try:
        offer = json.loads(body)
        if not isinstance(offer, dict) or offer.get("type") != "offer" or not isinstance(offer.get("sdp"), str):
            raise ValueError("expected {\"sdp\": \"...\", \"type\": \"offer\"}")
    except ValueError as error:
        return 400, {"type": "about:blank", "title": "Bad Request", "status": 400, "detail": str(error)}
    session = Session()
    SESSIONS[session.id] = session
    try:
        return 200, await session.answer(offer)
    except Exception as error:
        SESSIONS.pop(session.id, None)
        await session.pc.close()
        return 400, {"type": "about:blank", "title": "Bad Request", "status": 400, "detail": str(error)}


async def handle_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """One request per connection: enough HTTP/1.1 for POST /offer and GET /healthz."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, path, _ = request_line.split(" ", 2)
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in header_lines if line)}
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        if (method, path) == ("POST", "/offer"):
            status, reply = await handle_offer(body)
        elif (method, path) == ("GET", "/healthz"):
            status, reply = 200, {"status": "ok", "sessions": len(SESSIONS)}
        else:
            status, reply = 404, {"type": "about:blank", "title": "Not Found", "status": 404, "detail": f"{method} {path}"}
        payload = json.dumps(reply).encode()
        kind = "application/json" if status == 200 else "application/problem+json"
        writer.write(
            f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\nContent-Type: {kind}\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode() + payload
        )
        await writer.drain()
    except (asyncio.IncompleteReadError, ValueError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(argv) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8090, help="0 picks a free port")
    args = parser.parse_args(argv)
    # Loopback only: aioice would offer every interface but loopback.
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
    server = await asyncio.start_server(handle_http, "127.0.0.1", args.port)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    say(event="listening", port=server.sockets[0].getsockname()[1])
    await stop.wait()
    server.close()
    await asyncio.gather(*(session.finish("server_shutdown") for session in list(SESSIONS.values())))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
