"""tests/stress.py (`make stress`) reads each round's JUnit XML right: a failed, errored or
missing test must never show as a clean run."""

from __future__ import annotations

from pathlib import Path

from tests.stress import Tally, default_tests, read_junit, table

XML = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
  <testcase classname="tests.test_a" name="test_ok" time="0.1"/>
  <testcase classname="tests.test_a" name="test_bad" time="0.1"><failure message="x"/></testcase>
  <testcase classname="tests.test_a.TestK" name="test_p[1]" time="0.1"/>
  <testcase classname="tests.test_a" name="test_skip" time="0"><skipped message="s"/></testcase>
  <testcase classname="tests.test_a" name="test_td" time="0.1"/>
  <testcase classname="tests.test_a" name="test_td" time="0.1"><error message="teardown"/></testcase>
  <testcase classname="" name="tests.test_b" time="0"><error message="collection failure"/></testcase>
</testsuite></testsuites>
"""


def test_outcomes_are_read_per_test_id(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("")
    (tmp_path / "tests" / "test_b.py").write_text("")
    (tmp_path / "round.xml").write_text(XML)
    assert read_junit(tmp_path / "round.xml", tmp_path) == {
        "tests/test_a.py::test_ok": "passed",
        "tests/test_a.py::test_bad": "failed",
        "tests/test_a.py::TestK::test_p[1]": "passed",
        "tests/test_a.py::test_skip": "skipped",
        "tests/test_a.py::test_td": "failed",          # passed, then failed its teardown
        "tests/test_b.py (collecting)": "failed",
    }


def test_the_table_shows_failures_and_missing_rounds() -> None:
    rows = table({"t::steady": Tally(passed=3, rounds={1, 2, 3}),
                  "t::flaky": Tally(passed=1, failed=1, rounds={1, 3})}, rounds=3)
    assert rows == ["t::steady  3/3", "t::flaky   1/3  (1 failed, 1 missing)"]


def test_the_default_set_takes_later_playback_and_storm_files(tmp_path: Path) -> None:
    for name in ("session/playback/test_playback.py", "session/playback/test_playback_gapless.py",
                 "test_storm_401.py", "session/proxy/test_proxy.py", "test_config.py"):
        (tmp_path / "tests" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "tests" / name).write_text("")
    assert default_tests(tmp_path) == ["tests/session/playback/test_playback.py",
                                       "tests/session/playback/test_playback_gapless.py",
                                       "tests/session/proxy/test_proxy.py",
                                       "tests/test_storm_401.py"]
