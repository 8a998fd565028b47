"""The session layer: playback control, leases and persistence, on the asyncio loop.
Never imports textual or mpv; the player and resolver arrive through core's ports."""
