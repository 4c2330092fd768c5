"""Framing hostile exports into numbered lines: limits, encodings, archives and links."""

import gzip
import stat
import zipfile

import pyarrow.parquet as pq
import pytest

from influence.io.exports import Limits, discover, frame_export

LIMITS = Limits(max_line_bytes=64, max_decompressed_bytes=10_000)


def staged(tmp_path, path, limits=LIMITS):
    framed = frame_export(path, tmp_path / "staged.parquet", limits)
    return framed, pq.read_table(tmp_path / "staged.parquet").to_pylist()


def test_lines_are_numbered_and_line_ends_stripped(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"1 2 3\r\n4 5 6\n7 8 9")
    framed, rows = staged(tmp_path, path)
    assert (framed.status, framed.lines) == ("ok", 3)
    assert rows == [{"line_no": 1, "value": "1 2 3", "problem": None},
                    {"line_no": 2, "value": "4 5 6", "problem": None},
                    {"line_no": 3, "value": "7 8 9", "problem": None}]


def test_an_over_long_line_is_marked_and_the_next_line_still_read(tmp_path):
    path = tmp_path / "long.txt"
    path.write_bytes(b"x" * 500 + b"\n1 2 3\n")
    framed, rows = staged(tmp_path, path)
    assert framed.lines == 2
    assert rows[0] == {"line_no": 1, "value": None, "problem": "line longer than 64 bytes (max_line_bytes)"}
    assert rows[1]["value"] == "1 2 3" and rows[1]["problem"] is None


def test_invalid_utf8_is_marked_with_its_position(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"ok line\nab\xffcd\n")
    _, rows = staged(tmp_path, path)
    assert rows[1]["problem"] == "invalid UTF-8 at byte 3"
    assert rows[1]["value"] == "ab\ufffdcd"


def test_an_empty_file_has_no_lines_and_is_fine(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    framed, rows = staged(tmp_path, path)
    assert (framed.status, framed.lines, rows) == ("ok", 0, [])


def test_a_truncated_gzip_keeps_what_was_readable_and_is_partial(tmp_path):
    whole = gzip.compress(b"".join(b"%d 2 1082040961\n" % i for i in range(1, 2001)))
    path = tmp_path / "cut.txt.gz"
    path.write_bytes(whole[: len(whole) * 2 // 3])
    framed, rows = staged(tmp_path, path, Limits(max_decompressed_bytes=10**9))
    assert framed.status == "partial"
    assert "truncated or corrupt" in framed.reason and "lines before it were kept" in framed.reason
    assert 0 < len(rows) < 2000 and len(rows) == framed.lines
    assert [r["line_no"] for r in rows] == list(range(1, len(rows) + 1))


def test_zip_members_are_read_in_name_order_with_one_numbering(tmp_path):
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("b.txt", "3 4 5\n")
        archive.writestr("a.txt", "1 2 3\n")
    framed, rows = staged(tmp_path, path)
    assert framed.status == "ok"
    assert [(r["line_no"], r["value"]) for r in rows] == [(1, "1 2 3"), (2, "3 4 5")]


@pytest.mark.parametrize("member, why", [("/etc/passwd", "has an absolute path"),
                                          ("../../outside.txt", "escapes its folder with '..'")])
def test_zip_members_that_escape_are_refused(tmp_path, member, why):
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("fine.txt", "1 2 3\n")
        archive.writestr(member, "4 5 6\n")
    framed, rows = staged(tmp_path, path)
    assert framed.status == "refused" and rows == [] and framed.lines == 0
    assert why in framed.reason


def test_a_symlink_inside_a_zip_is_refused(tmp_path):
    path = tmp_path / "link.zip"
    info = zipfile.ZipInfo("link.txt")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(info, "/etc/passwd")
    framed, _ = staged(tmp_path, path)
    assert framed.status == "refused" and "is a symbolic link" in framed.reason


def test_a_zip_bomb_is_refused_before_and_while_decompressing(tmp_path):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.txt", b"0 1 1082040961\n" * 100_000)  # 1.5 MB from ~3 KB
    framed, rows = staged(tmp_path, bomb)
    assert framed.status == "refused" and rows == []
    assert "above the limit of 10,000 (max_decompressed_bytes)" in framed.reason
    # A gzip declares no size: the limit is enforced on the bytes actually decompressed.
    packed = tmp_path / "bomb.txt.gz"
    packed.write_bytes(gzip.compress(b"0 1 1082040961\n" * 100_000))
    framed, rows = staged(tmp_path, packed)
    assert framed.status == "refused" and rows == [] and "decompresses beyond 10,000 bytes" in framed.reason


def test_a_symlinked_input_is_refused_not_followed(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("1 2 1082040961\n")
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "link.txt").symlink_to(secret)
    (found,) = discover([landing])
    assert found.is_symlink()
    framed, rows = staged(tmp_path, found)
    assert framed.status == "refused" and rows == [] and "symbolic link" in framed.reason


def test_a_bomb_of_one_endless_line_stops_at_the_limit(tmp_path):
    packed = tmp_path / "one-line.txt.gz"
    packed.write_bytes(gzip.compress(b"a" * 5_000_000))
    framed, rows = staged(tmp_path, packed)
    assert framed.status == "refused" and rows == []
