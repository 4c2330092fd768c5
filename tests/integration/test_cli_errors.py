"""Every command answers a bad path, a bad date, a missing lake or a bad profile with one
clear line and a non-zero exit, before starting Spark where it needs none to see it."""

import pytest
from typer.testing import CliRunner

from influence.cli import app

BAD_DATE = "is not a date; use YYYY-MM-DD"


@pytest.mark.parametrize("argv, exit_code, message", [
    (["ingest", "--lake", "{tmp}/lake", "{tmp}/missing.jsonl"], 1, "error: input not found: {tmp}/missing.jsonl"),
    (["run", "--lake", "{tmp}/lake", "{tmp}/missing.csv"], 1, "error: input not found: {tmp}/missing.csv"),
    (["ingest", "--lake", "{tmp}/lake", "--profile", "nope", "{tmp}/export.jsonl"], 1,
     "error: unknown profile 'nope': not a built-in (csv, jsonl, snap) nor a file"),
    (["score", "--lake", "{tmp}/lake"], 1, "error: no lake at {tmp}/lake: nothing has been written to "
                                           "bronze/interactions"),
    (["score", "--lake", "{tmp}", ], 1, "error: no bronze/interactions table at {tmp}"),
    (["report", "--lake", "{tmp}/lake", "--out", "{tmp}/r.html"], 1, "error: no lake at {tmp}/lake"),
    (["score", "--lake", "{tmp}/lake", "--as-of", "2026-02-30"], 2, BAD_DATE),
    (["run", "--lake", "{tmp}/lake", "--as-of", "yesterday"], 2, BAD_DATE),
    (["report", "--lake", "{tmp}/lake", "--out", "{tmp}/r.html", "--as-of", "30/06/2026"], 2, BAD_DATE),
    (["generate", "--out", "{tmp}/sample", "--end", "2026-13-01"], 2, BAD_DATE),
    (["plan", "--lake", "{tmp}/lake"], 1, "error: no scored lake at {tmp}/lake"),
    (["plan", "--lake", "{tmp}/lake", "--as-of", "2026-06-31"], 2, BAD_DATE),
])
def test_a_mistake_is_one_clear_line_and_a_non_zero_exit(tmp_path, argv, exit_code, message):
    (tmp_path / "export.jsonl").write_text("{}\n")
    result = CliRunner().invoke(app, [arg.format(tmp=tmp_path) for arg in argv])
    assert result.exit_code == exit_code, result.output
    lines = [line.strip("│ ") for line in result.output.strip().splitlines()]
    assert any(message.format(tmp=tmp_path) in line for line in lines), result.output
    if exit_code == 1:
        assert lines[-1].startswith("error: ") and len([x for x in lines if x.startswith("error")]) == 1
    assert not (tmp_path / "lake").exists()  # nothing was written on the way to the error
