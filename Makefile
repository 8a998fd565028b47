# Each target does its own set-up, idempotently: libmpv from the OS, a .venv, the package
# with its dev extras. A second run with everything in place costs well under a second.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test stress bench screenshots setup test-tools bench-tools libmpv clean

demo: setup
	$(BIN)/ytplay --demo

test: setup test-tools
	$(BIN)/python -m pytest

# The playback and session tests N times over, each round a fresh pytest; a table of how often
# each test passed. make stress N=5, make stress ARGS="tests/session/proxy/test_proxy.py -k resume".
N ?= 20
stress: setup test-tools
	$(BIN)/python -m tests.stress -n $(N) $(ARGS)

# The OS programs the tests and `make screenshots` drive: a private D-Bus session daemon
# (dbus-daemon), its clients (dbus-send, playerctl), rsvg-convert (SVG to PNG), and the players
# that play `ytplay serve`'s URLs: MPD with mpc, and plain mpv.
test-tools:
	@sh scripts/ensure-programs.sh "the test tools" dbus-daemon=dbus-daemon dbus-send=dbus-bin \
		playerctl=playerctl rsvg-convert=librsvg2-bin mpd=mpd mpc=mpc mpv=mpv

# Plain mpv, the baseline `make bench ARGS=playing` measures ytplay beside.
bench-tools:
	@sh scripts/ensure-programs.sh "the benchmarks' baseline" mpv=mpv

screenshots: setup test-tools
	$(BIN)/python -m tests.screenshots screenshots

bench: setup bench-tools
	$(BIN)/python -m tests.bench $(ARGS)

setup: libmpv $(STAMP)

libmpv:
	@sh scripts/ensure-libmpv.sh

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

clean:
	rm -rf $(VENV) build *.egg-info
