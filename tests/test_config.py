"""config.toml: defaults, validation with lines, atomic replacement, `ytplay config …`."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from tests.helpers import kill_while_flushing
from tui.adapters.mpv_options import check_mpv_options
from tui.config import store
from tui.config.defaults import default_text
from tui.config.docs import block
from tui.config.schema import SECTIONS, Config
from tui.config.validate import validate_text

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_hold_every_option_commented_and_valid() -> None:
    text = default_text()
    doc = tomllib.loads(text)
    for section, model in SECTIONS.items():
        for field in model.__struct_fields__:
            assert field in doc[section], f"{section}.{field} missing from the defaults"
    config, issues = validate_text(text)
    assert issues == [] and config == Config()
    assert text.count("\n#") > 40  # commented throughout


def test_first_run_writes_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "ytplay" / "config.toml"
    assert store.load(path) == Config()
    assert path.read_text() == default_text()


ERRORS = [
    ("syntax", "[retry]\nattempts = 4\nbase = \n", 3, "", "TOML syntax"),
    ("unknown key", "[retry]\nattempts = 4\natempts = 3\n", 3, "retry.atempts",
     "did you mean 'attempts'"),
    ("unknown section", "[plaback]\nvolume = 3\n", 1, "plaback", "did you mean 'playback'"),
    ("wrong type", "[playback]\nvideo = false\nvolume = \"loud\"\n", 3, "playback.volume",
     "must be a whole number (got 'loud')"),
    ("out of range", "[retry]\n\nattempts = 99\n", 3, "retry.attempts",
     "must be between 1 and 20 (got 99)"),
    ("bad mpv option", "[mpv]\ncache = \"no\"\nno-such-option = 1\n", 3, "mpv.no-such-option",
     "libmpv refuses"),
    ("bad mpv value", "[mpv]\ncache-secs = \"soon\"\n", 2, "mpv.cache-secs", "libmpv refuses"),
    ("duplicate service", textwrap.dedent("""\
        [[services]]
        name = "home"
        base_url = "https://a"
        client_id = "c"
        username = "u"

        [[services]]
        name = "home"
        base_url = "https://b"
        client_id = "c"
        username = "u"
        """), 8, "services[1].name", "already the name"),
]


@pytest.mark.parametrize("kind, text, line, path, words", ERRORS, ids=[e[0] for e in ERRORS])
def test_every_kind_of_error_is_reported_at_its_line(kind: str, text: str, line: int,
                                                      path: str, words: str) -> None:
    config, issues = validate_text(text, check_mpv_options)
    assert config is None
    assert [(i.line, i.path) for i in issues] == [(line, path)], issues
    assert words in issues[0].message


MANY_ERRORS = """\
[playback]
volume = 300
video = "maybe"

[retry]
attempts = 0
atempts = 3

[[services]]
name = "home"
base_url = "ftp://media.example"
client_id = "ytplay"

[[services]]
name = "files"
kind = "oauth2"
token_url = "https://auth.example/token"
client_id = "ytplay"
scopes = ["media", "two words"]
media_origins = ["https://files.example/path"]

[ytdlp]
fallbacks = [{format = 18}]

[ui]
theme = "nrod"
panels = ["session", "queue"]

[log]
level = "loud"

[cache]
max_size = "lots"
"""


def test_a_file_with_many_errors_has_each_reported_at_its_line() -> None:
    """Every error, not only the first (msgspec's convert stops there): the in-app editor
    lists them all and f8 goes from one to the next; `ytplay config check` prints them."""
    config, issues = validate_text(MANY_ERRORS)
    assert config is None
    assert [(i.line, i.path, i.message) for i in issues] == [
        (2, "playback.volume", "must be between 0 and 130 (got 300)"),
        (3, "playback.video", "must be true or false (got 'maybe')"),
        (6, "retry.attempts", "must be between 1 and 20 (got 0)"),
        (7, "retry.atempts", "unknown key 'atempts' (did you mean 'attempts'?)"),
        (9, "services[0].username", "is required but missing"),
        (11, "services[0].base_url",
         "must be an http:// or https:// URL (got 'ftp://media.example')"),
        (19, "services[1].scopes[1]",
         "must be a scope: printable ASCII, no space, \" or \\ (got 'two words')"),
        (20, "services[1].media_origins[0]",
         "must be an origin: http(s)://host[:port], no path (got 'https://files.example/path')"),
        (23, "ytdlp.fallbacks[0].format", "must be a string (got 18)"),
        (26, "ui.theme", "not a Textual theme; did you mean 'nord'? (got 'nrod')"),
        (27, "ui.panels[1]", "must be one of \"session\", \"events\", \"retries\" (got 'queue')"),
        (30, "log.level", "must be one of \"debug\", \"info\", \"warning\", \"error\" "
         "(got 'loud')"),
        (33, "cache.max_size",
         "not a size: 'lots' (write e.g. \"4GB\", \"500MB\" or a number of bytes)"),
    ]


def test_checks_across_options_are_reported_at_their_table() -> None:
    """What involves several options of a table is checked once each of them is right, and
    said at the table: a service's grant and what it needs, retry's base and cap."""
    text = ("[retry]\nbase = 9\ncap = 1\n\n[[services]]\nname = \"files\"\nkind = \"oauth2\"\n"
            "token_url = \"https://auth.example/token\"\nclient_id = \"ytplay\"\n"
            "grant = \"password\"\nmedia_origins = [\"https://files.example\"]\n")
    config, issues = validate_text(text)
    assert config is None
    assert [(i.line, i.path, i.message) for i in issues] == [
        (1, "retry", "base (9.0) must not exceed cap (1.0)"),
        (5, "services[0]", 'grant = "password" needs username'),
    ]


def test_replace_keeps_a_backup_and_refuses_invalid_text(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    store.load(path)
    good = default_text().replace("attempts = 4", "attempts = 5")
    assert store.replace(path, good).retry.attempts == 5
    assert store.backup_path(path).read_text() == default_text()
    with pytest.raises(Exception):
        store.replace(path, "[retry]\nattempts = -1\n")
    assert path.read_text() == good


def test_a_process_killed_mid_save_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(default_text())
    before = path.read_bytes()
    kill_while_flushing(path, f"""
        from tui.config import store
        store.replace(pathlib.Path({str(path)!r}),
                      open({str(path)!r}).read().replace("attempts = 4", "attempts = 9"))
        """)
    assert path.read_bytes() == before
    assert store.load(path).retry.attempts == 4


def _ytplay(*args: str, env: dict[str, str] | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True,
                          input=stdin, timeout=60, env={**os.environ, **(env or {})})


def test_config_check_path_and_show(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    env = {"YTPLAY_CONFIG": str(path)}
    assert _ytplay("config", "path", env=env).stdout.strip() == str(path)
    ok = _ytplay("config", "check", env=env)
    assert ok.returncode == 0 and "ok" in ok.stdout
    path.write_text('[ytdlp.extra]\npassword = "hunter2"\nusername = "me"\n')
    shown = _ytplay("config", "show", env=env)
    assert shown.returncode == 0 and "hunter2" not in shown.stdout and '"***"' in shown.stdout
    path.write_text("[retry]\natempts = 3\n")
    bad = _ytplay("config", "check", env=env)
    assert bad.returncode == 1
    assert f"{path}:2: retry.atempts: unknown key 'atempts' (did you mean 'attempts'?)" in bad.stderr
    assert "ytplay config edit" in bad.stderr


def test_config_edit_reopens_on_errors_and_saves_a_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    count = tmp_path / "count"
    editor = tmp_path / "editor.py"
    # First session: the user leaves a typo; second: they fix it.
    editor.write_text(textwrap.dedent(f"""\
        import pathlib, sys
        count = pathlib.Path({str(count)!r})
        n = int(count.read_text()) if count.exists() else 0
        count.write_text(str(n + 1))
        f = pathlib.Path(sys.argv[1])
        if n == 0:
            f.write_text(f.read_text().replace("attempts = 4", "atempts = 6"))
        else:
            f.write_text(f.read_text().replace("atempts = 6", "attempts = 6"))
        """))
    env = {"YTPLAY_CONFIG": str(path), "EDITOR": f"{sys.executable} {editor}"}
    r = _ytplay("config", "edit", env=env, stdin="y\n")
    assert r.returncode == 0, r.stderr
    assert "unknown key 'atempts'" in r.stderr and "saved" in r.stdout
    assert count.read_text() == "2"
    assert "attempts = 6" in path.read_text() and "atempts" not in path.read_text()
    assert store.backup_path(path).read_text() == default_text()
    # Refusing to re-open leaves the file as it was.
    count.unlink()
    before = path.read_text()
    editor.write_text("import pathlib, sys\npathlib.Path(sys.argv[1]).write_text('x = [')\n")
    r = _ytplay("config", "edit", env=env, stdin="n\n")
    assert r.returncode == 1 and "unchanged" in r.stderr and path.read_text() == before


def test_config_edit_cites_lines_of_the_edit_and_keeps_it(tmp_path: Path) -> None:
    """The errors of an edit cite the file and line where the person finds them: the
    edited copy, which the editor opens again, not config.toml (unchanged, where the line
    cited held something else: three lines added above the typo moved it). Stopping there
    keeps the edit, named in the message."""
    path = tmp_path / "config.toml"
    opened = tmp_path / "opened"
    editor = tmp_path / "editor.py"
    editor.write_text(textwrap.dedent(f"""\
        import pathlib, sys
        with open({str(opened)!r}, "a") as log:
            log.write(sys.argv[1] + "\\n")
        f = pathlib.Path(sys.argv[1])
        text = f.read_text()
        if "atempts" not in text:
            f.write_text("# my notes\\n" * 3 + text.replace("attempts = 4", "atempts = 6"))
        """))
    env = {"YTPLAY_CONFIG": str(path), "EDITOR": f"{sys.executable} {editor}"}
    assert _ytplay("config", "check", env=env).returncode == 0  # the defaults, written
    before = path.read_text()
    r = _ytplay("config", "edit", env=env, stdin="y\nn\n")  # re-opened once, then left
    assert r.returncode == 1 and path.read_text() == before
    cited = [line.split(": retry.atempts")[0].strip().rsplit(":", 1)
             for line in r.stderr.splitlines() if ": retry.atempts" in line]
    assert len(cited) == 2, r.stderr  # after each time the editor closed
    runs = opened.read_text().splitlines()
    for (file, line), edited in zip(cited, runs):
        assert file == edited  # the file the editor had open
        assert Path(file).read_text().splitlines()[int(line) - 1] == "atempts = 6"
    assert f"your edit is kept in {runs[-1]}" in r.stderr, r.stderr
    assert Path(runs[-1]).parent == path.parent


def test_config_reset(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[retry]\nattempts = 7\n")
    r = _ytplay("config", "reset", "--yes", env={"YTPLAY_CONFIG": str(path)})
    assert r.returncode == 0
    assert path.read_text() == default_text()
    assert store.backup_path(path).read_text() == "[retry]\nattempts = 7\n"


def test_config_reset_twice_keeps_the_persons_file(tmp_path: Path) -> None:
    """The second reset found the defaults and made them the .bak: the person's own file,
    which the first had kept, was gone. A save over a reset file keeps it too."""
    path = tmp_path / "config.toml"
    mine = "[retry]\nattempts = 7\n"
    path.write_text(mine)
    env = {"YTPLAY_CONFIG": str(path)}
    assert _ytplay("config", "reset", "--yes", env=env).returncode == 0
    again = _ytplay("config", "reset", env=env)  # no --yes: nothing to ask about
    assert again.returncode == 0 and "holds the defaults already" in again.stdout
    assert path.read_text() == default_text()
    assert store.backup_path(path).read_text() == mine
    store.replace(path, default_text().replace("attempts = 4", "attempts = 5"))
    assert store.backup_path(path).read_text() == mine
    store.replace(path, default_text())                      # a save of something else
    assert "attempts = 5" in store.backup_path(path).read_text()


def test_startup_with_a_bad_file_exits_2_and_touches_nothing(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[playback]\nvolume = 300\n")
    before = path.read_bytes()
    r = _ytplay("--config", str(path), "--demo")
    assert r.returncode == 2
    assert f"{path}:2: playback.volume" in r.stderr and "ytplay config edit" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert path.read_bytes() == before


def test_readme_lists_every_option_as_the_schema_says() -> None:
    readme = (ROOT / "README.md").read_text()
    assert block() in readme, "README is out of date: run python -m tui.config.docs"
    for section, model in SECTIONS.items():
        for field in model.__struct_fields__:
            assert f"| `{field}` |" in readme


def test_readme_lists_every_key_as_the_bindings_say() -> None:
    from tui.ui.keys_doc import block as keys_block

    assert keys_block() in (ROOT / "README.md").read_text(), \
        "README is out of date: run python -m tui.ui.keys_doc"
