"""ytplay driven from a shell: the control socket that `ytplay ctl` speaks to
(docs/CONTROL.md). A third front end of the session, beside the UI and MPRIS: it drives
`Playback` with the calls the keys make and hears the session on its event bus, never
through the UI. `protocol` is what both ends share, the standard library only."""
