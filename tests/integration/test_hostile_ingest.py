"""A landing zone full of trouble: every line and every file accounted for, with reasons."""

import gzip
import json
import zipfile

import pytest
from typer.testing import CliRunner

from influence import tables
from influence.cli import app

GOOD = "1 2 1082040961\n3 4 1082040962 RT\n5 6 1082040963\n"


@pytest.fixture(scope="module")
def landed(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    landing, lake = root / "landing", root / "lake"
    landing.mkdir()
    (landing / "good.txt").write_text(GOOD)
    (landing / "empty.txt").write_text("")
    whole = gzip.compress(b"".join(b"%d 1 1082040961\n" % i for i in range(2, 3002)))
    (landing / "cut.txt.gz").write_bytes(whole[: len(whole) // 2])
    with zipfile.ZipFile(landing / "evil.zip", "w") as archive:
        archive.writestr("../escape.txt", GOOD)
    secret = root / "secret.txt"
    secret.write_text("secret-a secret-b 1082040961\n")
    (landing / "link.txt").symlink_to(secret)
    (landing / "mostly-bad.txt").write_bytes(b"9 10 1082040961\n9 9 1082040961\n\xff\xfe 1 2\n" + b"z" * 300 + b"\n")
    config = root / "config.yaml"
    config.write_text("ingest: {max_line_bytes: 100}\n")
    args = ["ingest", "--lake", str(lake), "--landing", str(landing), "--profile", "snap", "--config", str(config)]
    first = CliRunner().invoke(app, args + ["--json"])
    again = CliRunner().invoke(app, args)
    return lake, first, again


def _table(spark, lake, name):
    return spark.read.format("delta").load(str(lake / name))


def test_the_run_lands_what_is_good_and_exits_non_zero(landed):
    _, first, _ = landed
    assert first.exit_code == 1
    errors = [line for line in first.output.splitlines() if line.startswith("error:")]
    assert any("cut.txt.gz is partial" in e for e in errors)
    assert any("evil.zip is refused" in e and "escapes its folder" in e for e in errors)
    assert any("link.txt is refused" in e for e in errors)
    assert any("mostly-bad.txt: 3 of 4 lines quarantined" in e for e in errors)


def test_every_file_is_in_the_manifest_and_its_lines_add_up(spark, landed):
    lake, _, _ = landed
    manifest = {row["path"].rsplit("/", 1)[-1]: row for row in _table(spark, lake, tables.INGESTED_FILES).collect()}
    assert set(manifest) == {"good.txt", "empty.txt", "cut.txt.gz", "evil.zip", "link.txt", "mostly-bad.txt"}
    for row in manifest.values():
        assert row["rows_read"] == row["rows_accepted"] + row["rows_quarantined"] + row["rows_duplicate"]
    assert (manifest["good.txt"]["status"], manifest["good.txt"]["rows_accepted"]) == ("ok", 3)
    assert (manifest["empty.txt"]["status"], manifest["empty.txt"]["rows_read"]) == ("ok", 0)
    cut = manifest["cut.txt.gz"]
    assert cut["status"] == "partial" and 0 < cut["rows_accepted"] < 3000 and "truncated" in cut["reason"]
    for refused in ("evil.zip", "link.txt"):
        assert manifest[refused]["status"] == "refused" and manifest[refused]["rows_read"] == 0
    bad = manifest["mostly-bad.txt"]
    assert (bad["rows_read"], bad["rows_accepted"], bad["rows_quarantined"]) == (4, 1, 3)


def test_quarantine_keeps_each_bad_line_with_its_reason(spark, landed):
    lake, _, _ = landed
    rows = _table(spark, lake, tables.QUARANTINE).where("source_file like '%mostly-bad.txt'").collect()
    reasons = {row["source_line"]: row["reason"] for row in rows}
    assert reasons == {2: "actor equals target", 3: "invalid UTF-8 at byte 1",
                       4: "line longer than 100 bytes (max_line_bytes)"}


def test_nothing_from_a_refused_file_reached_bronze(spark, landed):
    lake, _, _ = landed
    bronze = _table(spark, lake, tables.INTERACTIONS)
    assert bronze.where("source_file like '%evil.zip' or source_file like '%link.txt'").count() == 0
    assert bronze.where("actor_id = 'secret-a'").count() == 0  # the symlink's target was never read


def test_the_landing_zone_again_is_a_no_op(spark, landed):
    lake, first, again = landed
    assert again.exit_code == 0, again.output
    assert "nothing new" in again.output
    reports = json.loads(first.output[first.output.index("["):first.output.rindex("]") + 1])
    assert len(reports) == 6
    assert _table(spark, lake, tables.INGESTED_FILES).count() == 6
