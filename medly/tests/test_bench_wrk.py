"""bench/_wrk.py reads wrk's summary: its own self-check, run with the suite."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wrk_parser_passes_its_self_check(capsys):
    spec = importlib.util.spec_from_file_location("_wrk", ROOT / "bench" / "_wrk.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    module._self_check()

    assert "self-check passed" in capsys.readouterr().out
