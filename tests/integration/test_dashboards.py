"""Every example of docs/dashboards.md runs against the sample scored on two dates:
the SQL blocks in Spark, the Python blocks (delta-rs, DuckDB) as they are, with the lake
at ./lake."""

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "dashboards.md"
BLOCKS = re.findall(r"```(sql|python)\n(.*?)```", DOC.read_text(), flags=re.S)


def test_the_doc_has_examples_of_each_kind():
    kinds = [kind for kind, _ in BLOCKS]
    assert kinds.count("sql") >= 3 and kinds.count("python") >= 3


@pytest.fixture
def in_a_folder_with_the_lake(two_date_lake, tmp_path, monkeypatch):
    (tmp_path / "lake").symlink_to(two_date_lake, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    return two_date_lake


@pytest.mark.parametrize("sql", [code for kind, code in BLOCKS if kind == "sql"],
                         ids=lambda code: code.split("\n")[0][:40])
def test_sql_examples_run_in_spark(spark, two_date_lake, sql):
    # Spark resolves relative paths against its own working folder, not the test's.
    rows = spark.sql(sql.replace("./lake/", f"{two_date_lake}/")).collect()
    assert rows, "the example returns no rows on the sample"


@pytest.mark.parametrize("code", [code for kind, code in BLOCKS if kind == "python"],
                         ids=lambda code: code.split("\n")[-2][:40])
def test_python_examples_run_without_spark(in_a_folder_with_the_lake, code, capsys):
    exec(compile(code, str(DOC), "exec"), {})
    printed = capsys.readouterr().out
    assert len(printed.strip().splitlines()) >= 3, printed  # a header and rows, not an empty result
