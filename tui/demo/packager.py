"""HLS segments of the demo's synthesized audio, made by a real packager: FFmpeg's AAC
encoder and MPEG-TS muxer, through PyAV (its wheel carries FFmpeg's libraries, so nothing
has to come from the OS).

A track is encoded once, as one run of AAC frames, and cut at frame boundaries into
segments of about the asked length; each segment is muxed into MPEG-TS when asked for, with
its frames' own timestamps, so segments join without a gap. The live station loops a track:
its segment n is the track's segment n mod count, its timestamps moved on by whole loops,
so the station's clock runs on forever.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from . import synth
from .catalog import Track

FRAME = 1024            # samples in an AAC frame
_BIT_RATE = 64_000


@dataclass(frozen=True)
class Packaged:
    """One track as AAC frames, cut into segments of `per_segment` frames."""

    extradata: bytes
    frames: tuple[tuple[bytes, int], ...]   # (payload, pts in samples)
    per_segment: int

    @property
    def count(self) -> int:
        """Segments of the VOD stream: the last one takes the frames left over."""
        return max(1, len(self.frames) // self.per_segment)

    def duration(self, index: int) -> float:
        """Seconds of segment `index` of the VOD stream."""
        return len(self._frames(index)) * FRAME / synth.RATE

    @property
    def segment_seconds(self) -> float:
        return self.per_segment * FRAME / synth.RATE

    def _frames(self, index: int) -> tuple[tuple[bytes, int], ...]:
        start = index * self.per_segment
        end = len(self.frames) if index == self.count - 1 else start + self.per_segment
        return self.frames[start:end]

    def segment(self, index: int) -> bytes:
        """Segment `index` of the VOD stream, as MPEG-TS."""
        return _mux(self.extradata, self._frames(index), 0)

    def live_segment(self, seq: int) -> bytes:
        """Segment `seq` of the station that loops this track (whole segments only)."""
        loop, index = divmod(seq, self.count)
        start = index * self.per_segment
        frames = self.frames[start:start + self.per_segment]
        return _mux(self.extradata, frames, loop * self.count * self.per_segment * FRAME)


def _mux(extradata: bytes, frames: tuple[tuple[bytes, int], ...], shift: int) -> bytes:
    import av

    out_buf = io.BytesIO()
    with av.open(out_buf, "w", format="mpegts") as out:
        stream = out.add_stream("aac", rate=synth.RATE, layout="mono")
        stream.codec_context.extradata = extradata
        stream.time_base = Fraction(1, synth.RATE)
        for payload, pts in frames:
            packet = av.Packet(payload)
            packet.pts = packet.dts = pts + shift
            packet.time_base = Fraction(1, synth.RATE)
            packet.stream = stream
            out.mux(packet)
    return out_buf.getvalue()


def _encode(track: Track) -> tuple[bytes, tuple[tuple[bytes, int], ...]]:
    import av

    encoder = av.CodecContext.create("aac", "w")
    encoder.sample_rate = synth.RATE
    encoder.layout = "mono"
    encoder.format = "fltp"
    encoder.bit_rate = _BIT_RATE
    encoder.time_base = Fraction(1, synth.RATE)
    encoder.open()
    resampler = av.AudioResampler(format="fltp", layout="mono", rate=synth.RATE)
    pcm = synth.pcm(track)
    packets = []
    for start in range(0, len(pcm) // 2, FRAME):
        chunk = pcm[2 * start:2 * (start + FRAME)]
        frame = av.AudioFrame(format="s16", layout="mono", samples=len(chunk) // 2)
        frame.planes[0].update(chunk)
        frame.sample_rate = synth.RATE
        frame.pts = start
        frame.time_base = Fraction(1, synth.RATE)
        for resampled in resampler.resample(frame):
            packets += encoder.encode(resampled)
    packets += encoder.encode(None)
    frames = tuple((bytes(p), int(p.pts)) for p in packets if p.pts is not None)
    return bytes(encoder.extradata or b""), frames


_lock = threading.Lock()


@lru_cache(maxsize=16)
def _packaged(track: Track, seconds: float) -> Packaged:
    extradata, frames = _encode(track)
    per_segment = max(1, round(seconds * synth.RATE / FRAME))
    return Packaged(extradata, frames, per_segment)


def packaged(track: Track, seconds: float) -> Packaged:
    """`track` cut into segments of about `seconds`; encoded on first use (about a second
    of CPU for a two-minute track: call it off the event loop), then kept."""
    with _lock:  # one encoding per track, however many requests ask at once
        return _packaged(track, seconds)
