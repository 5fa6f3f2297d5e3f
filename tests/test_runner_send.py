"""How file tasks travel to worker processes: each kind of settings once per worker."""

from __future__ import annotations

import pickle
import signal
from pathlib import Path

from nextaudit import runner
from nextaudit.engine import RuleSetting
from nextaudit.findings import Severity


def _profile(severity: Severity) -> runner.Profile:
    return runner.Profile((RuleSetting("no-explicit-any", severity),), 1000, False)


def test_tasks_name_their_profile_by_number() -> None:
    strict, lenient = _profile(Severity.ERROR), _profile(Severity.WARNING)
    tasks = [
        runner.FileTask("/r/a.ts", "a.ts", strict),
        runner.FileTask("/r/b.ts", "b.ts", lenient),
        runner.FileTask("/r/c.ts", "c.ts", strict),
    ]
    sent, profiles = runner._send(tasks)
    assert sent == [
        ("/r/a.ts", "a.ts", None, 0),
        ("/r/b.ts", "b.ts", None, 1),
        ("/r/c.ts", "c.ts", None, 0),
    ]
    assert profiles[0] is strict and profiles[1] is lenient
    # What goes with each chunk of tasks holds no settings.
    assert b"no-explicit-any" not in pickle.dumps(sent)


def test_equal_profiles_that_are_different_objects_stay_apart() -> None:
    """Numbered by identity: per-settings work in a worker is kept by identity too."""
    first, second = _profile(Severity.ERROR), _profile(Severity.ERROR)
    sent, profiles = runner._send(
        [runner.FileTask("/r/a.ts", "a.ts", first), runner.FileTask("/r/b.ts", "b.ts", second)]
    )
    assert [number for *_, number in sent] == [0, 1]
    assert profiles[0] is first and profiles[1] is second


def test_a_sent_task_gives_what_the_task_gives(tmp_path: Path) -> None:
    source = tmp_path / "a.ts"
    source.write_text("export const x: any = 1;\n")
    task = runner.FileTask(source.as_posix(), "a.ts", _profile(Severity.WARNING))
    sent, profiles = runner._send([task])
    saved = list(runner._PROFILES)
    try:
        runner._worker_init(profiles)
        from_worker = runner._run_sent_task(sent[0])
    finally:
        runner._PROFILES[:] = saved
        signal.signal(signal.SIGINT, signal.default_int_handler)
    direct = runner.run_task(task)
    assert from_worker == direct
    assert [(f.rule_id, f.severity, f.location.line) for f in direct.findings] == [
        ("no-explicit-any", Severity.WARNING, 1)
    ]
