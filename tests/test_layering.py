"""The package ladder holds: no import cycle, no module importing a higher floor, the product never
importing eval/ (bench/import_graph.py reads every import statement, lazy ones included)."""

from __future__ import annotations

import contextlib
import io
import runpy

from tests.conftest import ROOT


def test_no_cycle_and_no_import_of_a_higher_floor():
    graph = runpy.run_path(str(ROOT / "bench" / "import_graph.py"))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        failed = graph["main"](["--root", str(ROOT)])
    report = printed.getvalue()
    assert "cycles: 0" in report and "imports of a higher floor: 0" in report, report
    assert failed == 0
