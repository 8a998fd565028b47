"""`make stress`: the playback and session tests run again and again, each round a fresh pytest
in a process of its own, then a table of how often each test passed. A test that passes 19
times in 20 is flaky, and this is where it shows.

    python -m tests.stress [-n ROUNDS] [PYTEST ARGS ...]

With no test paths among the arguments the default set runs: the playback, session end-to-end,
proxy, session-token and HLS tests, and any test_playback_*.py or test_storm*.py under tests/. Other
arguments go to pytest as they are (`-k resume`, `-x`, ...). Exits 1 when any test failed or
went missing in any round.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FILES = ("tests/session/playback/test_playback.py",
                 "tests/session/playback/test_session_e2e.py", "tests/session/proxy/test_proxy.py",
                 "tests/session/services/test_session_tokens.py", "tests/session/proxy/test_hls.py")
DEFAULT_GLOBS = ("test_playback_*.py", "test_storm*.py")


def default_tests(root: Path = ROOT) -> list[str]:
    found = {f for f in DEFAULT_FILES if (root / f).is_file()}
    for pattern in DEFAULT_GLOBS:
        found.update(p.relative_to(root).as_posix() for p in (root / "tests").rglob(pattern))
    return sorted(found)


def _is_test_path(arg: str, root: Path = ROOT) -> bool:
    return not arg.startswith("-") and (root / arg.split("::")[0]).exists()


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    rounds: set[int] = field(default_factory=set)


def _node_id(classname: str, name: str, root: Path = ROOT) -> str:
    """JUnit's classname `tests.test_x.TestY` back to pytest's `tests/test_x.py::TestY::name`.
    A file that failed to be collected comes as no classname and the module as the name."""
    if not classname:
        path = name.replace(".", "/") + ".py"
        return f"{path} (collecting)" if (root / path).is_file() else f"{name} (collecting)"
    parts = classname.split(".")
    for cut in range(len(parts), 0, -1):
        path = "/".join(parts[:cut]) + ".py"
        if (root / path).is_file():
            return "::".join([path, *parts[cut:], name])
    return f"{classname}::{name}"


def read_junit(xml: Path, root: Path = ROOT) -> dict[str, str]:
    """Test id -> "passed", "failed" or "skipped" (xfail counts as skipped). A setup or
    teardown error counts as a failure of its test."""
    outcomes: dict[str, str] = {}
    for case in ET.parse(xml).getroot().iter("testcase"):
        test = _node_id(case.get("classname", ""), case.get("name", ""), root)
        if case.find("failure") is not None or case.find("error") is not None:
            outcome = "failed"
        elif case.find("skipped") is not None:
            outcome = "skipped"
        else:
            outcome = "passed"
        if outcomes.get(test) != "failed":     # a test may be listed twice (teardown error)
            outcomes[test] = outcome
    return outcomes


def run_round(number: int, pytest_args: list[str], workdir: Path) -> tuple[int, dict[str, str]]:
    xml = workdir / f"round-{number}.xml"
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", f"--junitxml={xml}",
           *pytest_args]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    (workdir / f"round-{number}.log").write_text(r.stdout + r.stderr)
    if r.returncode not in (0, 1):
        tail = (r.stdout + r.stderr).strip().splitlines()[-15:]
        print(f"  pytest exited {r.returncode}:", *tail, sep="\n    ")
    elif r.returncode == 1:
        for line in r.stdout.splitlines():
            if line.startswith(("FAILED ", "ERROR ")):
                print(f"    {line}")
    return r.returncode, (read_junit(xml) if xml.is_file() else {})


def table(tallies: dict[str, Tally], rounds: int) -> list[str]:
    width = max((len(t) for t in tallies), default=0)
    lines = []
    for test, t in tallies.items():
        notes = []
        if t.failed:
            notes.append(f"{t.failed} failed")
        if t.skipped:
            notes.append(f"{t.skipped} skipped")
        missing = rounds - len(t.rounds)
        if missing:
            notes.append(f"{missing} missing")
        note = f"  ({', '.join(notes)})" if notes else ""
        lines.append(f"{test.ljust(width)}  {t.passed:>{len(str(rounds))}}/{rounds}{note}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.stress", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     allow_abbrev=False)
    parser.add_argument("-n", "--rounds", type=int, default=20, help="how many rounds (20)")
    args, pytest_args = parser.parse_known_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if not any(_is_test_path(a) for a in pytest_args):
        pytest_args = [*default_tests(), *pytest_args]
    print(f"{args.rounds} rounds of: pytest {' '.join(pytest_args)}", flush=True)

    tallies: dict[str, Tally] = {}
    bad_rounds: list[str] = []
    done = 0
    with tempfile.TemporaryDirectory(prefix="ytplay-stress-") as tmp:
        try:
            for number in range(1, args.rounds + 1):
                started = time.monotonic()
                print(f"round {number}/{args.rounds} ...", flush=True)
                rc, outcomes = run_round(number, pytest_args, Path(tmp))
                done = number
                for test, outcome in outcomes.items():
                    t = tallies.setdefault(test, Tally())
                    setattr(t, outcome, getattr(t, outcome) + 1)
                    t.rounds.add(number)
                counts = {o: list(outcomes.values()).count(o) for o in ("passed", "failed",
                                                                         "skipped")}
                print(f"round {number}/{args.rounds}: {counts['passed']} passed, "
                      f"{counts['failed']} failed, {counts['skipped']} skipped "
                      f"({time.monotonic() - started:.1f}s)", flush=True)
                if rc not in (0, 1) or not outcomes:
                    bad_rounds.append(f"round {number}: pytest exited {rc}"
                                      + ("" if outcomes else ", no results"))
        except KeyboardInterrupt:
            print(f"\ninterrupted after {done} complete round(s)")
    if not done:
        return 130

    print()
    print(*table(tallies, done), sep="\n")
    unsteady = [test for test, t in tallies.items() if t.failed or len(t.rounds) < done]
    print()
    for line in bad_rounds:
        print(line)
    if unsteady:
        print(f"{len(unsteady)} of {len(tallies)} tests failed or went missing in some of "
              f"{done} rounds")
    else:
        print(f"all {len(tallies)} tests passed or skipped in each of {done} rounds")
    return 1 if unsteady or bad_rounds or done < args.rounds else 0


if __name__ == "__main__":
    sys.exit(main())
