"""The pure core: models, rules and ports. Imports no UI, player, HTTP or yt-dlp code."""
