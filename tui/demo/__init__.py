"""The embedded demo media service: a real HTTP server on 127.0.0.1 that speaks ytplay's
session protocol (docs/PROTOCOL.md) and serves yt-dlp pages, with knobs for expiry and
injected faults. Independent of the rest of ytplay."""
