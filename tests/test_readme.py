"""The README's code runs as written (a claim is a test)."""

import re
import warnings
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_snippet_runs_as_written(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "no python block in the README"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(blocks[0], str(README), "exec"), {})
    out = capsys.readouterr().out
    score = float(out.split()[-1])
    assert score > 0.9  # digits, cross-validated
