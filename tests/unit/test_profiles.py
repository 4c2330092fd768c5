from pathlib import Path

import pytest

from influence.errors import InfluenceError
from influence.profiles import infer_profile, load_profile


def test_snap_profile_is_built_in():
    snap = load_profile("snap")
    assert snap.default_type == "message"
    assert snap.type_map["RT"] == "reshare"


@pytest.mark.parametrize("name", ["CollegeMsg.txt.gz", "export.tsv", "graph.edgelist", "x.TXT"])
def test_profile_is_inferred_from_the_file_name(name):
    assert infer_profile(Path(name)).profile == "snap"


def test_unknown_extension_asks_for_a_profile():
    with pytest.raises(InfluenceError, match="pass --profile"):
        infer_profile(Path("export.parquet"))


def test_a_users_profile_file_is_validated(tmp_path):
    own = tmp_path / "mine.yaml"
    own.write_text("profile: mine\nformat: snap\nplatform: x\ntype_map: {LK: liked}\n")
    with pytest.raises(InfluenceError, match="unknown interaction types"):
        load_profile(str(own))
    own.write_text("profile: mine\nformat: snap\nplatform: x\nid_prefix: 'x:'\ntype_map: {LK: like}\n")
    assert load_profile(str(own)).id_prefix == "x:"


def test_unknown_profile_name_is_a_clear_error():
    with pytest.raises(InfluenceError, match="unknown profile"):
        load_profile("myspace")
