"""Adapters that plug real libraries into the core's ports: libmpv and yt-dlp."""
