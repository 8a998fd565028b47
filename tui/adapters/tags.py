"""The TagReader port on mutagen: title, artist, album, length and the embedded picture of
a local file, read from its tags and headers (nothing is decoded). Blocking: the session
calls it from a worker thread. mutagen is imported on first use."""

from __future__ import annotations

import base64
import logging
import math
from pathlib import Path
from typing import Any, Iterable

from tui.core.models import Tags

log = logging.getLogger(__name__)

# Where each format keeps a field: ID3 frames (MP3, WAV, AIFF), Vorbis comments (FLAC, Ogg,
# Opus; case-insensitive), MP4 atoms, APEv2 items.
_TITLE = ("TIT2", "title", "\xa9nam", "Title")
_ARTIST = ("TPE1", "artist", "\xa9ART", "Artist", "TPE2", "albumartist", "aART")
_ALBUM = ("TALB", "album", "\xa9alb", "Album")
FRONT_COVER = 3  # the picture type of a front cover (ID3 APIC, FLAC PICTURE)
MAX_PICTURE = 16 * 1024 * 1024  # bytes; a bigger "cover" is not one


def _first_text(value: Any) -> str | None:
    """The first non-empty text of a tag value, whatever the format made of it."""
    if value is None:
        return None
    if hasattr(value, "text"):          # an ID3 frame
        value = value.text
    if isinstance(value, (list, tuple)):
        value = next((v for v in value if str(v).strip()), None)
        if value is None:
            return None
    if isinstance(value, bytes):
        return None
    text = str(value).strip()
    return text or None


def _field(tags: Any, keys: Iterable[str]) -> str | None:
    if tags is None:
        return None
    for key in keys:
        try:
            value = tags.get(key)
        except (ValueError, KeyError, TypeError):
            continue  # a key this format cannot hold (an MP4 atom name in Vorbis comments)
        text = _first_text(value)
        if text:
            return text
    return None


def _best(pictures: Iterable[tuple[int, bytes]]) -> bytes | None:
    """The front cover if there is one, else the first picture."""
    found = [(kind, bytes(data)) for kind, data in pictures if data]
    found = [(kind, data) for kind, data in found if len(data) <= MAX_PICTURE]
    if not found:
        return None
    return next((data for kind, data in found if kind == FRONT_COVER), found[0][1])


def _pictures(audio: Any) -> Iterable[tuple[int, bytes]]:
    """Every embedded picture of `audio`, as (picture type, image bytes)."""
    for picture in getattr(audio, "pictures", None) or ():          # FLAC
        yield picture.type, picture.data
    tags = audio.tags
    if tags is None:
        return
    if hasattr(tags, "getall"):                                      # ID3
        for frame in tags.getall("APIC"):
            yield frame.type, frame.data
        return
    try:
        blocks = tags.get("metadata_block_picture") or ()            # Ogg Vorbis, Opus
    except (ValueError, KeyError, TypeError):
        blocks = ()
    for block in blocks:
        from mutagen.flac import Picture  # where there is one: its kinds are not loaded else

        try:
            picture = Picture(base64.b64decode(block))
        except Exception:  # a broken block is no cover, not an error
            continue
        yield picture.type, picture.data
    try:
        covers = tags.get("covr") or ()                              # MP4
    except (ValueError, KeyError, TypeError):
        covers = ()
    for cover in covers:
        yield FRONT_COVER, bytes(cover)
    try:
        ape = tags.get("Cover Art (Front)")                          # APEv2: name\0data
    except (ValueError, KeyError, TypeError):
        ape = None
    if ape is not None and getattr(ape, "value", None):
        _name, _, data = bytes(ape.value).partition(b"\0")
        yield FRONT_COVER, data


# The kinds of file a name's extension says, tried first (module of mutagen, class): with no
# kinds given, mutagen.File imports all 25 it knows, 47 modules (1.7 MiB that stay loaded in a
# playing process, `make bench ARGS=playing`), where one kind needs a few. A file its name
# misleads about is tried as every kind after.
_KINDS: dict[str, tuple[tuple[str, str], ...]] = {
    ".mp3": (("mp3", "MP3"),), ".wav": (("wave", "WAVE"),), ".flac": (("flac", "FLAC"),),
    ".ogg": (("oggvorbis", "OggVorbis"), ("oggopus", "OggOpus"), ("oggflac", "OggFLAC")),
    ".oga": (("oggvorbis", "OggVorbis"), ("oggflac", "OggFLAC")),
    ".opus": (("oggopus", "OggOpus"),),
    ".m4a": (("mp4", "MP4"),), ".m4b": (("mp4", "MP4"),), ".mp4": (("mp4", "MP4"),),
    ".aac": (("aac", "AAC"),), ".aif": (("aiff", "AIFF"),), ".aiff": (("aiff", "AIFF"),),
    ".wma": (("asf", "ASF"),), ".ape": (("monkeysaudio", "MonkeysAudio"),),
    ".wv": (("wavpack", "WavPack"),), ".mpc": (("musepack", "Musepack"),),
    ".dsf": (("dsf", "DSF"),),
}


def _kinds(path: Path) -> list[Any]:
    import importlib

    return [getattr(importlib.import_module(f"mutagen.{module}"), name)
            for module, name in _KINDS.get(path.suffix.lower(), ())]


class MutagenTagReader:
    def _open(self, path: str) -> Any:
        import mutagen

        file = Path(path).expanduser()
        try:
            # `is not None`: a file with no tags is falsy (mutagen's files are mappings)
            if (kinds := _kinds(file)) and \
                    (audio := mutagen.File(str(file), options=kinds)) is not None:
                return audio
        except Exception as e:  # as below; then every kind is tried
            log.debug("%s is not what its name says: %s: %s", path, type(e).__name__, e)
        try:
            return mutagen.File(str(file))
        except Exception as e:  # mutagen's errors, OSError, and parser bugs on odd files
            log.info("no tags read from %s: %s: %s", path, type(e).__name__, e)
            return None

    def read(self, path: str) -> Tags | None:
        audio = self._open(path)
        if audio is None:
            return None
        length = getattr(getattr(audio, "info", None), "length", None)
        duration = float(length) if isinstance(length, (int, float)) and length > 0 \
            and math.isfinite(length) else None
        tags = audio.tags
        try:
            cover = _best(_pictures(audio)) is not None
        except Exception as e:
            log.info("no picture read from %s: %s: %s", path, type(e).__name__, e)
            cover = False
        return Tags(title=_field(tags, _TITLE), artist=_field(tags, _ARTIST),
                    album=_field(tags, _ALBUM), duration=duration, cover=cover)

    def picture(self, path: str) -> bytes | None:
        audio = self._open(path)
        if audio is None:
            return None
        try:
            return _best(_pictures(audio))
        except Exception as e:
            log.info("no picture read from %s: %s: %s", path, type(e).__name__, e)
            return None
