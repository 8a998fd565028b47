"""The Textual UI: renders session state and turns keys into session calls."""
