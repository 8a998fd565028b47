"""How `ytplay` ends when something is wrong: before the UI, one paragraph saying what is
wrong and what to do, exit 2, never a traceback; after it, a non-zero status whenever it
ended on an error; and every command it suggests is one the parser accepts."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pty_terminal import run_on_a_terminal
from tui import cli
from tui.config.paths import ConfigLocation
from tui.config_cli import hint

ROOT = Path(__file__).resolve().parent.parent


def ytplay(*args: str, env: dict[str, str] | None = None, stdin: str = "",
           code: str | None = None) -> subprocess.CompletedProcess[str]:
    """ytplay with no terminal (what it says before it would draw, and its commands)."""
    cmd = [sys.executable, "-c", code] if code else [sys.executable, "-m", "tui", *args]
    return subprocess.run(cmd, capture_output=True, text=True, input=stdin, timeout=60,
                          cwd=ROOT, env={**os.environ, **(env or {})})


def one_paragraph(r: subprocess.CompletedProcess[str]) -> str:
    """The exit status is 2 and stderr is one paragraph, nothing else."""
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    assert r.stderr.startswith("ytplay: ") and r.stderr.strip().count("\n") == 0, r.stderr
    return r.stderr


# --- the config file itself ---------------------------------------------------------------

def _cases(tmp: Path) -> dict[str, tuple[list[str], dict[str, str], str]]:
    """name → (arguments, environment, what the paragraph must say)."""
    (tmp / "latin1.toml").write_bytes(b"# caf\xe9\n[retry]\nattempts = 4\n")
    (tmp / "loop.toml").symlink_to(tmp / "loop.toml")
    nowhere = str(tmp / "missing" / "config.toml")
    return {
        "a folder": (["--config", str(tmp)], {}, "is a folder, not a config file"),
        "not UTF-8": (["--config", str(tmp / "latin1.toml")], {},
                      "is not UTF-8 text (byte 0xe9 on line 1)"),
        "unreadable": (["--config", str(tmp / "loop.toml")], {}, "cannot be"),
        "YTPLAY_CONFIG nowhere": ([], {"YTPLAY_CONFIG": nowhere}, "no folder"),
        "--config nowhere": (["--config", nowhere], {}, "no folder"),
    }


@pytest.mark.parametrize("case", ["a folder", "not UTF-8", "unreadable",
                                  "YTPLAY_CONFIG nowhere", "--config nowhere"])
@pytest.mark.parametrize("command", [[], ["config", "show"], ["config", "check"],
                                     ["config", "edit"], ["config", "reset", "--yes"]])
def test_a_config_path_that_cannot_be_used_is_one_paragraph_and_exit_2(
        tmp_path: Path, case: str, command: list[str]) -> None:
    args, env, says = _cases(tmp_path)[case]
    before = {p: p.read_bytes() for p in tmp_path.glob("*.toml") if p.is_file()}
    # `ytplay config show --config PATH`, or the app itself: `ytplay --config PATH --demo`
    argv = [*command, *args] if command else [*args, "--demo", "--demo-port", "0"]
    r = ytplay(*argv, env={"EDITOR": "true", **env})
    if case == "not UTF-8" and command[:2] == ["config", "reset"]:
        assert r.returncode == 0, r.stderr  # reset is the way out of that one
        return
    text = one_paragraph(r)
    assert says in text
    assert not (tmp_path / "missing").exists()          # no folders made from a typo
    assert {p: p.read_bytes() for p in before} == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_a_config_without_read_permission(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("")
    path.chmod(0)
    text = one_paragraph(ytplay("--config", str(path), "--demo"))
    assert "Permission denied" in text and "chmod u+rw" in text


def test_the_paragraph_says_what_to_do_for_how_the_file_was_named(tmp_path: Path) -> None:
    nowhere = tmp_path / "missing" / "config.toml"
    by_env = one_paragraph(ytplay("config", "show", env={"YTPLAY_CONFIG": str(nowhere)}))
    assert "YTPLAY_CONFIG" in by_env and "mkdir -p" in by_env
    by_option = one_paragraph(ytplay("--config", str(tmp_path), "--demo"))
    assert "--config" in by_option and str(tmp_path / "config.toml") in by_option


# --- other things named on the command line or in the config --------------------------------

@pytest.mark.parametrize("log_file, says", [
    ("{tmp}", "Is a directory"),
    ("{tmp}/config.toml/ytplay.log", "config.toml is a file, not a folder"),
])
def test_a_log_file_that_cannot_be_written_is_one_paragraph_and_exit_2(
        tmp_path: Path, log_file: str, says: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[log]\nfile = "{log_file.format(tmp=tmp_path)}"\n')
    text = one_paragraph(ytplay("--config", str(config), "--demo"))
    assert says in text and "[log] file" in text
    assert shlex.quote(str(config)) in text              # the command to fix it


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_a_demo_port_out_of_range_is_a_usage_error(port: str) -> None:
    r = ytplay("--demo", "--demo-port", port)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"argument --demo-port: '{port}' is not a port" in r.stderr


@pytest.mark.parametrize("option, value", [
    ("--demo-segment-ttl", "-5"), ("--demo-segment-ttl", "0"), ("--demo-url-ttl", "0"),
    ("--demo-token-ttl", "-1"), ("--demo-stream-limit", "0"), ("--demo-fail-rate", "2"),
    ("--demo-drop-rate", "-0.5"), ("--demo-fail-rate", "nan"), ("--demo-latency", "-1"),
    ("--demo-media-rate", "-100"),
])
def test_a_demo_option_out_of_range_is_a_usage_error(option: str, value: str) -> None:
    """A lifetime of 0 or -5 s started a demo whose every URL was born expired (and a
    fail rate of 2 one that failed everything): said at once instead, exit 2."""
    r = ytplay("--demo", f"{option}={value}")
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert f"argument {option}: '{value}' is not" in r.stderr, r.stderr


# --- hints are commands that work ---------------------------------------------------------

@pytest.mark.parametrize("where", [
    ConfigLocation(Path("/tmp/my configs/ytplay's.toml"), "--config"),
    ConfigLocation(Path("/tmp/c.toml"), "YTPLAY_CONFIG"),
    ConfigLocation(Path("/home/u/.config/ytplay/config.toml"), None),
])
@pytest.mark.parametrize("action", ["edit", "reset", "check"])
def test_every_hint_parses_with_the_real_parser(where: ConfigLocation, action: str) -> None:
    words = shlex.split(hint(action, where))
    assert words[:2] == ["ytplay", "config"]
    args = cli.config_parser().parse_args(words[2:])
    assert args.action == action
    assert args.config == (str(where.path) if where.named_by == "--config" else None)


def test_config_takes_its_option_before_or_after_the_action() -> None:
    p = cli.config_parser()
    assert p.parse_args(["edit", "--config", "a"]).config == "a"
    assert p.parse_args(["--config", "a", "edit"]).config == "a"
    assert p.parse_args(["--config", "a", "reset", "--yes"]).yes


def _suggested(stderr: str) -> list[str]:
    """The command a message suggests, as arguments for `python -m tui`."""
    m = re.search(r"(?:Fix them with: |`)(ytplay config [^`\n]+)", stderr)
    assert m, stderr
    words = shlex.split(m.group(1))
    assert words[0] == "ytplay"
    return words[1:]


def test_the_hint_for_a_bad_config_file_runs(tmp_path: Path) -> None:
    path = tmp_path / "my config.toml"
    path.write_text("[playback]\nvolume = 300\n")
    r = ytplay("--config", str(path), "--demo")
    assert r.returncode == 2 and f"{path}:2: playback.volume" in r.stderr
    editor = tmp_path / "fix.py"
    editor.write_text("import pathlib, sys\n"
                      "pathlib.Path(sys.argv[1]).write_text('[playback]\\nvolume = 30\\n')\n")
    fixed = ytplay(*_suggested(r.stderr), env={"EDITOR": f"{sys.executable} {editor}"})
    assert fixed.returncode == 0, fixed.stderr
    assert path.read_text() == "[playback]\nvolume = 30\n"
    check = ytplay("config", "check", "--config", str(path))
    assert check.returncode == 0, check.stderr


def test_the_hint_for_a_config_that_is_not_utf8_runs(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"volume = \xff\n")
    r = ytplay("--config", str(path), "--demo")
    one_paragraph(r)
    fixed = ytplay(*_suggested(r.stderr), stdin="y\n")
    assert fixed.returncode == 0, fixed.stderr
    assert (tmp_path / "config.toml.bak").read_bytes() == b"volume = \xff\n"
    assert ytplay("config", "check", "--config", str(path)).returncode == 0


def test_config_check_hint_names_the_file_given_with_config(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[retry]\natempts = 3\n")
    r = ytplay("config", "check", "--config", str(path))
    assert r.returncode == 1
    assert _suggested(r.stderr) == ["config", "edit", "--config", str(path)]


# --- the exit status once the UI ran ------------------------------------------------------

def _on_a_terminal(code: str) -> subprocess.CompletedProcess[str]:
    """`code` with a terminal for its input and output (the app runs only on one)."""
    return run_on_a_terminal([sys.executable, "-c", code], cwd=ROOT)


_HEADLESS = """
import sys
import textual.app
from tui.ui.app import YtplayApp
run = textual.app.App.run
textual.app.App.run = lambda self, **kw: run(self, headless=True, **kw)
{patch}
from tui.__main__ import main
sys.exit(main({argv!r}))
"""


def test_an_app_that_ends_on_an_error_exits_non_zero() -> None:
    patch = ("def on_mount(self):\n"
             "    raise RuntimeError('a bug in the UI')\n"
             "YtplayApp.on_mount = on_mount\n")
    r = _on_a_terminal(_HEADLESS.format(patch=patch,
                                        argv=["--ao", "null", "--demo", "--demo-port", "0"]))
    assert "a bug in the UI" in r.stdout + r.stderr
    assert r.returncode == 1


def test_a_queue_with_a_wrong_type_starts_cleanly_and_exits_0(tmp_path: Path) -> None:
    data = Path(os.environ["XDG_DATA_HOME"]) / "ytplay"
    data.mkdir(parents=True)
    (data / "queue.json").write_text('{"version": 1, "current": 0, "position": 0, "items": ['
                                     '{"ref": "https://example.invalid/a", "duration": "abc"},'
                                     '{"ref": "https://example.invalid/b", "duration": 61}]}')
    # It quits once the session is there (which saves the queue as it ends).
    patch = ("attach = YtplayApp._attach\n"
             "def attached(self):\n"
             "    attach(self)\n"
             "    self.exit()\n"
             "YtplayApp._attach = attached\n")
    r = _on_a_terminal(_HEADLESS.format(patch=patch, argv=["--ao", "null", "--config",
                                                           str(tmp_path / "config.toml")]))
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    again = _on_a_terminal(_HEADLESS.format(patch=patch, argv=["--ao", "null", "--config",
                                                               str(tmp_path / "config.toml")]))
    assert again.returncode == 0 and "Traceback" not in again.stdout + again.stderr
    assert "abc" not in (data / "queue.json").read_text()  # saved again without it
    [kept] = data.glob("queue.json.unreadable-*")
    assert '"abc"' in kept.read_text()
