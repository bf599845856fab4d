"""The tour's table: printed once, fits a terminal, marks misses, full copy on disk."""

from skphys._tour import format_table, main, markdown_table

ROWS = [
    {"stop": "A long stop title that would not fit", "result": "accuracy on held-out data",
     "value": "0.91", "reference": "0.95 (paper)", "ok": False, "chance": "0.14"},
    {"stop": "A long stop title that would not fit", "result": "energy error",
     "value": "2e-4", "reference": "<= 4e-4 (NetKet)", "ok": True},
    {"stop": "Other", "result": "x", "value": "y", "reference": ""},
]


def test_table_fits_and_marks_misses():
    long = [{**ROWS[0], "result": "a result described at great length " * 3,
             "reference": "a reference that goes on and on " * 3}] + ROWS
    text = format_table(long, width=100)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 100
    # the stop's title once, as a header line; then its rows
    assert lines[2] == "[A long stop title that would not fit]" and lines[6] == "[Other]"
    assert "MISS" in lines[3] and "MISS" in lines[4] and "pass" in lines[5]
    assert lines[7].rstrip().endswith("-")
    assert "0.14" in lines[4].split()  # the chance level has its own column, never cut
    assert "…" in lines[3] and "…" not in format_table(long, width=None)
    md = markdown_table(ROWS)
    assert md.count("\n") == 2 + len(ROWS) and "A long stop title that would not fit" in md


def test_tour_prints_the_table_once(tmp_path, capsys):
    assert main(["--quick", "--only", "stop_21", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.count("variance explained") == 1
    assert (tmp_path / "results.txt").exists() and (tmp_path / "results.md").exists()
