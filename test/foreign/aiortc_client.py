#!/usr/bin/python3
"""An aiortc client for the ingest server's wire contract (shared/API.md): K sessions in one process.

Each session sends synthetic VP8 video and Opus audio, ends the way --end says and reports on
stdout, one JSON object per line, each with "event", "session" (0..K-1) and "t_ms" (monotonic):
  connected        session_id, route, setup_ms (POST sent -> connectionState connected)
  message          event_type, data: every data channel message, t_ms = its arrival
  ending           action: the end action starts now
  action_done      action, action_ms: it returned (bye: both RTCP BYEs sent)
  delete_response  status, body
  stream_closed    reason, summary, end_to_closed_ms (ending -> stream_closed arrived)
  record           state, reason, tracks, counters, summary, released_seen_ms: GET /sessions/<id>
                   once Released (polled every 25 ms)
  done             ok, session_id, messages, event_types, video_frames_sent, audio_frames_sent, errors
The exit code is 0 only if every session got what it should (aiortcClient.ts runs this and types
the lines). Needs Debian's python3-aiortc (aiortc 1.4): run it with /usr/bin/python3.
"""
import argparse
import asyncio
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import aioice.ice
from aiortc import RTCConfiguration, RTCDtlsTransport, RTCPeerConnection, RTCSessionDescription

from aiortc_media import SquareVideo, ToneAudio  # next to this file

EXPECTED_REASON = {"bye": "tracks_ended", "end_stream": "client_request", "delete": "client_request", "close": None}
POLL_INTERVAL_S = 0.025
# Signaling gets its own threads, one per session (set in main): aiortc encodes every frame on
# the default executor, and an HTTP call queued behind encoder jobs or other sessions' calls
# would measure the queue, not the server.
HTTP_POOL = None
# Video SSRC -> sequence number rewrite (--seq-jump), applied to plain RTP before SRTP protects it.
SEQUENCE_REWRITES = {}
_send_rtp = RTCDtlsTransport._send_rtp


async def _send_rewritten_rtp(transport, data: bytes) -> None:
    rewrite = SEQUENCE_REWRITES.get(int.from_bytes(data[8:12], "big")) if len(data) >= 12 else None
    if rewrite:
        data = data[:2] + rewrite(int.from_bytes(data[2:4], "big")).to_bytes(2, "big") + data[4:]
    await _send_rtp(transport, data)


RTCDtlsTransport._send_rtp = _send_rewritten_rtp
# No proxy, ever: the server is on this machine and nothing may leave it.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def now_ms() -> float:
    """CLOCK_MONOTONIC in ms: the same clock as Node's process.hrtime, so the driver can compare."""
    return time.monotonic() * 1000


def parse_json(text):
    """The JSON value of text (str or bytes), or None when it is not JSON."""
    try:
        return json.loads(text)
    except ValueError:
        return None


def http_blocking(method, url, body=None, content_type=None, token=None):
    request = urllib.request.Request(url, data=body, method=method)
    if content_type:
        request.add_header("Content-Type", content_type)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with HTTP.open(request, timeout=15) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


async def http(method, url, body=None, content_type=None, token=None):
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(HTTP_POOL, http_blocking, method, url, body, content_type, token)


class Session:
    def __init__(self, index: int, args):
        self.index, self.args = index, args
        self.session_id = self.channel = None
        self.resource = None  # the URL DELETE goes to
        self.event_types, self.errors = [], []
        self.connected_at = self.ending_at = self.stream_closed_at = None  # now_ms() values
        self.stream_closed_event = None
        self.stream_closed = asyncio.Event()
        self.channel_closed = asyncio.Event()
        self.connected = asyncio.Event()
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))  # no STUN: nothing leaves the host
        self.video = SquareVideo(args.width, args.height, args.fps)
        self.audio = ToneAudio()
        self.video_frames_before_jump = None

    def line(self, event: str, t_ms=None, **fields) -> None:
        fields = dict(event=event, session=self.index, t_ms=now_ms() if t_ms is None else t_ms, **fields)
        print(json.dumps(fields), flush=True)

    async def run(self) -> bool:
        try:
            await asyncio.sleep(self.index * self.args.spread_ms / self.args.sessions / 1000)
            await self.connect()
            if self.args.probe_session:
                await self.probe(self.args.probe_session)
            if self.args.seq_jump:
                await asyncio.sleep(self.args.media_seconds / 2)
                self.jump_video_sequence_numbers(self.args.seq_jump)
                await asyncio.sleep(self.args.media_seconds / 2)
            else:
                await asyncio.sleep(self.args.media_seconds)
            await self.end()
            await self.collect()
        except Exception as error:  # reported in the done line; the other sessions go on
            self.errors.append(f"{type(error).__name__}: {error}")
        finally:
            try:
                await self.pc.close()
            except Exception as error:
                self.errors.append(f"pc.close() raised {type(error).__name__}: {error}")
        self.line(
            "done", ok=not self.errors, session_id=self.session_id, messages=len(self.event_types),
            event_types=self.event_types, video_frames_sent=self.video.frames_sent,
            audio_frames_sent=self.audio.frames_sent, video_frames_before_jump=self.video_frames_before_jump,
            errors=self.errors,
        )
        return not self.errors

    def renumber_video(self) -> None:
        """With --seq-jump: the video RTP sequence numbers are rewritten (still plain RTP, on their
        way to the DTLS transport, which protects them) from the first packet on, so that they start
        at --seq-start and, once jump_video_sequence_numbers() ran, are moved on by --seq-jump, as
        after a restart of the sender. Starting at a known number decides whether the jump crosses
        2^16 (aiortc starts at a random one)."""
        sender = next(t.sender for t in self.pc.getTransceivers() if t.kind == "video")
        self.seq_shift, self.seq_jumped_by = None, 0

        def rewrite(sequence: int) -> int:
            if self.seq_shift is None:
                self.seq_shift = (self.args.seq_start - sequence) & 0xFFFF
            return (sequence + self.seq_shift + self.seq_jumped_by) & 0xFFFF

        SEQUENCE_REWRITES[sender._ssrc] = rewrite

    def jump_video_sequence_numbers(self, by: int) -> None:
        self.video_frames_before_jump = self.video.frames_sent
        self.seq_jumped_by = by

    async def connect(self) -> None:
        args, pc = self.args, self.pc
        if args.route == "offer":
            # Created before the offer, as the contract asks, so the offer has its m-section.
            self.channel = pc.createDataChannel("events")
            self.channel.on("message", self.on_message)
            self.channel.on("close", self.channel_closed.set)

        @pc.on("connectionstatechange")
        def on_state():
            if pc.connectionState == "connected":
                self.connected_at = now_ms()
                self.connected.set()

        pc.addTransceiver(self.video, direction="sendonly")
        pc.addTransceiver(self.audio, direction="sendonly")
        if args.seq_jump:
            self.renumber_video()
        await pc.setLocalDescription(await pc.createOffer())  # aiortc gathers here: no trickle
        offer = pc.localDescription.sdp
        posted_at = now_ms()
        if args.route == "offer":
            body = json.dumps({"sdp": offer, "type": "offer"}).encode()
            status, _, reply = await http("POST", f"{args.url}/offer", body, "application/json", args.token)
            if status != 200:
                raise RuntimeError(f"POST /offer answered {status}: {reply[:300]!r}")
            answer = json.loads(reply)
            self.session_id, answer_sdp = answer["session_id"], answer["sdp"]
            self.resource = f"{args.url}/sessions/{self.session_id}"
        else:
            status, headers, reply = await http("POST", f"{args.url}/whip", offer.encode(), "application/sdp", args.token)
            location = headers.get("Location")
            if status != 201 or not location:
                raise RuntimeError(f"POST /whip answered {status} (Location {location!r}): {reply[:300]!r}")
            self.session_id, answer_sdp = location.rstrip("/").rsplit("/", 1)[-1], reply.decode()
            self.resource = urllib.parse.urljoin(args.url + "/", location)
        # The server's answer, before ICE starts: a test may aim at the ports its candidates name.
        self.line("answer", session_id=self.session_id, sdp=answer_sdp)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))
        await self.within(self.connected.wait(), "connectionState connected")
        self.line("connected", t_ms=self.connected_at, session_id=self.session_id, route=args.route,
                  setup_ms=round(self.connected_at - posted_at, 3))

    async def probe(self, other: str) -> None:
        """Tries, with this client's token, what only an admin or the owner of session `other` may do."""
        url, token = self.args.url, self.args.token
        calls = [("list", "GET", f"{url}/sessions"), ("read", "GET", f"{url}/sessions/{other}"),
                 ("delete_session", "DELETE", f"{url}/sessions/{other}"), ("delete_whip", "DELETE", f"{url}/whip/{other}"),
                 ("read_own", "GET", f"{url}/sessions/{self.session_id}")]
        statuses = {}
        for name, method, target in calls:
            statuses[name], _, _ = await http(method, target, token=token)
        self.line("probe", session_id=other, statuses=statuses)

    def on_message(self, data) -> None:
        arrived = now_ms()
        event = parse_json(data) if isinstance(data, str) else None
        event_type = event.get("event_type") if isinstance(event, dict) else None
        self.event_types.append(event_type)
        self.line("message", t_ms=arrived, event_type=event_type,
                  data=event if event is not None else (data if isinstance(data, str) else f"<{len(data)} bytes>"))
        if event_type == "stream_closed" and not self.stream_closed.is_set():
            self.stream_closed_at = arrived
            self.stream_closed_event = event
            self.stream_closed.set()

    async def end(self) -> None:
        action = self.args.end
        self.ending_at = now_ms()
        self.line("ending", t_ms=self.ending_at, action=action)
        if action == "bye":
            # Stopping a sender cancels its RTCP loop, whose last act is an RTCP BYE for its SSRC.
            await asyncio.gather(*(t.sender.stop() for t in self.pc.getTransceivers()))
        elif action == "end_stream":
            self.channel.send(json.dumps({"type": "end_stream"}))
        elif action == "delete":
            status, _, reply = await http("DELETE", self.resource, token=self.args.token)
            body = parse_json(reply)
            self.line("delete_response", status=status, body=reply.decode(errors="replace") if body is None else body)
            if status != 200:
                self.errors.append(f"DELETE answered {status}")
        else:
            await self.pc.close()
        # How long the action itself took (for bye: until both BYEs were sent); replies to it
        # may have arrived meanwhile, so this line can come after them.
        self.line("action_done", action=action, action_ms=round(now_ms() - self.ending_at, 3))

    async def collect(self) -> None:
        expected = EXPECTED_REASON[self.args.end]
        if self.channel is not None and self.args.end != "close":
            await self.within(self.stream_closed.wait(), "stream_closed")
            event = self.stream_closed_event
            self.line("stream_closed", t_ms=self.stream_closed_at, reason=event.get("reason"),
                      summary=event.get("summary"), end_to_closed_ms=round(self.stream_closed_at - self.ending_at, 3))
            if expected and event.get("reason") != expected:
                self.errors.append(f"stream_closed reason {event.get('reason')!r}, expected {expected!r}")
            # The server closes the connection once stream_closed is acknowledged; anything sent
            # after it would have arrived by the time the channel closes.
            try:
                await asyncio.wait_for(self.channel_closed.wait(), 3)
            except asyncio.TimeoutError:
                self.errors.append("the data channel stayed open 3 s after stream_closed")
        if self.channel is not None:
            # After our own close() no stream_closed can arrive; what did must still start right.
            self.check_order(closed_expected=self.args.end != "close")
        record = await self.released_record()
        self.line("record", state=record["state"], reason=record.get("reason"), tracks=record.get("tracks"),
                  counters=record.get("counters"), summary=record.get("summary"),
                  released_seen_ms=round(now_ms() - self.ending_at, 3))
        if expected and record.get("reason") != expected:
            self.errors.append(f"session record reason {record.get('reason')!r}, expected {expected!r}")

    def check_order(self, closed_expected: bool) -> None:
        types = self.event_types
        if types[:1] != ["session_started"] or types.count("session_started") != 1:
            self.errors.append(f"session_started is not first and once: {types}")
        if closed_expected and (types[-1:] != ["stream_closed"] or types.count("stream_closed") != 1):
            self.errors.append(f"stream_closed is not last and once: {types}")

    async def released_record(self) -> dict:
        """GET /sessions/<id> until the server has released the session (polled, so ~25 ms coarse)."""
        deadline = time.monotonic() + self.args.timeout
        while True:
            status, _, reply = await http("GET", f"{self.args.url}/sessions/{self.session_id}", token=self.args.token)
            if status != 200:
                raise RuntimeError(f"GET /sessions/{self.session_id} answered {status}")
            record = json.loads(reply)
            if record.get("state") == "Released":
                return record
            if time.monotonic() > deadline:
                raise TimeoutError(f"session still {record.get('state')} {self.args.timeout} s after ending")
            await asyncio.sleep(POLL_INTERVAL_S)

    async def within(self, awaitable, what: str):
        try:
            return await asyncio.wait_for(awaitable, self.args.timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(f"no {what} within {self.args.timeout} s") from None


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the server, e.g. http://127.0.0.1:8080")
    parser.add_argument("--route", choices=["offer", "whip"], default="offer")
    parser.add_argument("--sessions", type=int, default=1, help="concurrent sessions (K)")
    parser.add_argument("--spread-ms", type=float, default=0, help="start the K sessions evenly over this time")
    parser.add_argument("--media-seconds", type=float, default=2, help="stream this long once connected")
    parser.add_argument("--end", choices=list(EXPECTED_REASON), default="bye")
    parser.add_argument("--token", help="bearer token (AUTH_TOKEN, PUBLISH_TOKEN or a JWT)")
    parser.add_argument("--probe-session", help="once connected, try to list, read and end this session (another's) and print the statuses")
    parser.add_argument("--fps", type=float, default=15)
    parser.add_argument("--size", default="320x240", help="video WIDTHxHEIGHT (even numbers)")
    parser.add_argument("--timeout", type=float, default=20, help="seconds each wait may take")
    parser.add_argument("--ice-address", default="127.0.0.1", help="the only host candidate offered")
    parser.add_argument("--seq-jump", type=int, default=0,
                        help="halfway through the media, move the video RTP sequence numbers on by this much")
    parser.add_argument("--seq-start", type=int, default=1000,
                        help="with --seq-jump: the first video RTP sequence number")
    args = parser.parse_args(argv)
    args.url = args.url.rstrip("/")
    args.width, args.height = (int(n) for n in args.size.split("x"))
    if args.route == "whip" and args.end == "end_stream":
        parser.error("--end end_stream needs the data channel of --route offer")
    return args


async def main(argv) -> int:
    global HTTP_POOL
    args = parse_args(argv)
    HTTP_POOL = ThreadPoolExecutor(max_workers=args.sessions)
    # aioice offers every interface but loopback. The server under test listens on loopback,
    # and no packet may leave the machine: offer exactly one host candidate instead.
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [args.ice_address]
    results = await asyncio.gather(*(Session(i, args).run() for i in range(args.sessions)))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
