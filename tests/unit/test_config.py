import json
import subprocess
from pathlib import Path

import pytest

from influence.config import ConfigError, Settings, load_config


def test_defaults_follow_the_spec():
    settings = load_config(environ={})
    assert settings.window_days == 90
    assert settings.half_life_days == 30
    assert settings.reciprocity_boost == 1.5
    assert settings.type_weights["reshare"] == 3 and settings.type_weights["like"] == 0.5
    assert settings.pagerank.damping == 0.85
    assert settings.spark.master == "local[*]"


def test_yaml_overrides_defaults_environment_overrides_yaml_flags_override_all(tmp_path):
    config = tmp_path / "influence.yaml"
    config.write_text("window_days: 30\nhalf_life_days: 7\nspark:\n  master: local[1]\n  driver_memory: 1g\n")
    environ = {"INFLUENCE_HALF_LIFE_DAYS": "14", "INFLUENCE_SPARK__DRIVER_MEMORY": "3g"}
    settings = load_config(config, overrides={"spark": {"driver_memory": "5g"}}, environ=environ)
    assert settings.window_days == 30          # YAML
    assert settings.half_life_days == 14       # environment beats YAML
    assert settings.spark.master == "local[1]"  # YAML, and the nested default stays
    assert settings.spark.driver_memory == "5g"  # flags beat everything
    assert settings.spark.shuffle_partitions == 4  # untouched default


def test_spark_master_variable_and_config_path_from_the_environment(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("exclude_users: [brand]\n")
    settings = load_config(environ={"SPARK_MASTER": "spark://h:7077", "INFLUENCE_CONFIG": str(config)})
    assert settings.spark.master == "spark://h:7077"
    assert settings.exclude_users == ("brand",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("window_days: 0\n", "window_days"),
        ("windw_days: 3\n", "windw_days"),
        ("type_weights: {reshare: 1}\n", "missing types"),
        ("- a list\n", "mapping"),
        ("window_days: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_configuration_names_the_setting(tmp_path, text, message):
    config = tmp_path / "bad.yaml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(config, environ={})


def test_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml", environ={})


def test_pull_sources_are_checked_per_kind(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("pull:\n  sources:\n    - {name: feed, kind: s3, prefix: daily/}\n")
    with pytest.raises(ConfigError, match="needs `bucket`"):
        load_config(config, environ={})
    config.write_text("pull:\n  sources:\n    - {name: a, kind: http, url: ftp://x/}\n")
    with pytest.raises(ConfigError, match="http:// or https://"):
        load_config(config, environ={})
    config.write_text("pull:\n  sources:\n    - {name: a, kind: folder, path: /x}\n    - {name: a, kind: folder, path: /y}\n")
    with pytest.raises(ConfigError, match="unique"):
        load_config(config, environ={})
    settings = load_config(environ={"INFLUENCE_PULL__LANDING": "/data/landing", "INFLUENCE_ORCHESTRATION__LAKE": "/data/lake"})
    assert str(settings.pull.landing) == "/data/landing" and str(settings.orchestration.lake) == "/data/lake"


def test_a_config_s_jvm_options_are_added_to_the_product_s_not_put_in_their_place():
    from influence.spark import _session_conf, launch_conf

    environ = {"INFLUENCE_SPARK__CONF": "{spark.driver.extraJavaOptions: -XX:TieredStopAtLevel=1, "
                                        "spark.executor.extraJavaOptions: -Xss4m, spark.locality.wait: 0s}"}
    settings = load_config(environ=environ)
    driver = launch_conf(settings)["spark.driver.extraJavaOptions"].split()
    assert driver[0] == "-Duser.timezone=UTC" and driver[1].startswith("-Dlog4j.configurationFile=")
    assert driver[-1] == "-XX:TieredStopAtLevel=1"  # last, so that it wins over the product's
    session = _session_conf(settings)
    assert session["spark.executor.extraJavaOptions"] == "-Duser.timezone=UTC -Xss4m"
    assert "spark.driver.extraJavaOptions" not in session  # set at launch only, with the product's own
    assert session["spark.locality.wait"] == "0s"  # any other key passes as given
    assert launch_conf(load_config(environ={}))["spark.driver.extraJavaOptions"].split()[0] == "-Duser.timezone=UTC"


def test_the_driver_maps_the_class_archive_only_where_one_was_made_for_it(tmp_path, monkeypatch):
    from influence import spark

    settings = load_config(environ={})
    archive = tmp_path / "classes.jsa"
    monkeypatch.setattr(spark, "class_archive_path", lambda _settings: archive)
    assert "SharedArchiveFile" not in launch_conf_options(settings)  # none made: the JVM's own sharing stays on
    archive.write_bytes(b"archive")
    assert f"-XX:SharedArchiveFile={archive}" in launch_conf_options(settings).split()
    assert "SharedArchiveFile" not in launch_conf_options(load_config(environ={"INFLUENCE_SPARK__CLASS_ARCHIVE": "false"}))


def test_a_class_archive_is_named_for_the_java_and_the_jars_it_was_made_with(monkeypatch):
    from influence import spark

    settings = load_config(environ={})
    made_for = spark.class_archive_path(settings)
    assert made_for == spark.class_archive_path(settings)
    with monkeypatch.context() as patched:
        patched.setenv("JAVA_HOME", "/nonexistent/jdk")
        assert spark.class_archive_path(settings) != made_for
    with monkeypatch.context() as patched:
        patched.setattr(spark, "jvm_packages", lambda _settings: ["io.delta:delta-spark_4.2_2.13:9.9.9"])
        patched.setattr(spark, "_resolved_jars", lambda _settings: None)
        assert spark.class_archive_path(settings) != made_for
    assert spark.class_archive_path(settings) == made_for


GRAPHFRAMES_BUILD = "io.graphframes:graphframes-spark4_2.13:0.11.0-e49a655b-spark42fix"


def test_the_graphframes_package_and_repositories_reach_the_launch_from_yaml_or_the_environment(tmp_path):
    from influence.spark import launch_conf

    default = load_config(environ={"INFLUENCE_JARS_CACHE": str(tmp_path)})
    assert default.spark.graphframes_package == "io.graphframes:graphframes-spark4_2.13:0.12.3"  # graphframes-py's
    conf = launch_conf(default)
    assert conf["spark.jars.packages"].split(",") == ["io.delta:delta-spark_4.2_2.13:4.4.0", default.spark.graphframes_package]
    assert "spark.jars.repositories" not in conf  # Spark's own defaults only

    config = tmp_path / "c.yaml"
    config.write_text(f"spark:\n  graphframes_package: {GRAPHFRAMES_BUILD}\n"
                      "  repositories: [file:///srv/maven, https://mirror.example/maven2]\n")
    from_yaml = load_config(config, environ={"INFLUENCE_JARS_CACHE": str(tmp_path)})
    from_env = load_config(environ={"INFLUENCE_JARS_CACHE": str(tmp_path),
                                    "INFLUENCE_SPARK__GRAPHFRAMES_PACKAGE": GRAPHFRAMES_BUILD,
                                    "INFLUENCE_SPARK__REPOSITORIES": '["file:///srv/maven", "https://mirror.example/maven2"]'})
    for settings in (from_yaml, from_env):
        conf = launch_conf(settings)
        assert conf["spark.jars.packages"].split(",")[1] == GRAPHFRAMES_BUILD
        assert conf["spark.jars.repositories"] == "file:///srv/maven,https://mirror.example/maven2"


def test_a_resolved_listing_replaces_the_resolver_and_another_coordinate_resolves_again(tmp_path):
    from influence import spark

    settings = load_config(environ={"INFLUENCE_JARS_CACHE": str(tmp_path), "INFLUENCE_SPARK__REPOSITORIES": "[file:///x]"})
    jar = tmp_path / "jars" / "io.delta_delta-spark_4.2_2.13-4.4.0.jar"
    jar.parent.mkdir()
    jar.write_bytes(b"jar")
    spark._resolved_listing(settings).write_text(f"file://{jar}\n")
    conf = spark.launch_conf(settings)
    assert conf["spark.jars"] == f"file://{jar}"
    assert "spark.jars.packages" not in conf and "spark.jars.repositories" not in conf  # nothing left to resolve
    other = load_config(environ={"INFLUENCE_JARS_CACHE": str(tmp_path), "INFLUENCE_SPARK__GRAPHFRAMES_PACKAGE": GRAPHFRAMES_BUILD})
    assert spark._resolved_listing(other) != spark._resolved_listing(settings)
    assert "spark.jars.packages" in spark.launch_conf(other)


# What Spark's resolver printed for Delta and the shared GraphFrames build, cut short.
RESOLVER_LOG = """file:///srv/maven added as a remote repository with the name: repo-1
:: resolving dependencies :: org.apache.spark#spark-submit-parent-1;1.0
\tconfs: [default]
\tfound io.delta#delta-spark_4.2_2.13;4.4.0 in central
\tfound io.delta#delta-storage;4.4.0 in central
You probably access the destination server through a proxy server that is not well configured.
\tfound org.slf4j#slf4j-api;2.0.13 in central
\tfound io.graphframes#graphframes-spark4_2.13;0.11.0-e49a655b-spark42fix in repo-1
\tfound org.slf4j#slf4j-api;2.0.13 in central
\tfound io.graphframes#graphframes-graphx-spark4_2.13;0.11.0-e49a655b-spark42fix in repo-1
:: problems summary ::
\tHost repos.spark-packages.org not found. url=https://repos.spark-packages.org/x.pom
"""
RESOLVED_JARS = [f"file:///cache/jars/{name}.jar" for name in (
    "io.delta_delta-spark_4.2_2.13-4.4.0", "io.graphframes_graphframes-spark4_2.13-0.11.0-e49a655b-spark42fix",
    "io.delta_delta-storage-4.4.0", "org.slf4j_slf4j-api-2.0.13",
    "io.graphframes_graphframes-graphx-spark4_2.13-0.11.0-e49a655b-spark42fix")]
UNRESOLVED_LOG = """file:///srv/maven added as a remote repository with the name: repo-1
\tfound io.delta#delta-spark_4.2_2.13;4.4.0 in central
\t\tmodule not found: io.graphframes#graphframes-spark4_2.13;9.9.9
\t==== local-m2-cache: tried
\t==== central: tried
\t  https://repo1.maven.org/maven2/io/graphframes/graphframes-spark4_2.13/9.9.9/graphframes-spark4_2.13-9.9.9.pom
\t==== spark-packages: tried
\t==== repo-1: tried
Exception in thread "main" java.lang.RuntimeException: [unresolved dependency: io.graphframes#graphframes-spark4_2.13;9.9.9: not found]
"""


def test_each_package_gets_one_line_with_its_own_jars_from_the_resolver_s_log():
    from influence.spark import package_lines

    proofs = {"io.delta:delta-spark_4.2_2.13:4.4.0": "Delta write proven",
              GRAPHFRAMES_BUILD: "GraphFrames PageRank proven (4 vertices, ranks 0.15-1.55)"}
    assert package_lines(RESOLVER_LOG, proofs, RESOLVED_JARS) == [
        "io.delta:delta-spark_4.2_2.13:4.4.0: resolved (3 JARs), Delta write proven",  # slf4j: Delta found it first
        f"{GRAPHFRAMES_BUILD}: resolved (2 JARs), GraphFrames PageRank proven (4 vertices, ranks 0.15-1.55)"]


def test_an_unresolved_package_is_named_with_the_repositories_tried_and_how_to_add_one():
    from influence.spark import failure_message

    settings = load_config(environ={"INFLUENCE_SPARK__GRAPHFRAMES_PACKAGE": "io.graphframes:graphframes-spark4_2.13:9.9.9"})
    message = failure_message(UNRESOLVED_LOG, settings, 1)
    assert "found no io.graphframes:graphframes-spark4_2.13:9.9.9 " in message
    assert "in local-m2-cache, central, spark-packages, repo-1 (file:///srv/maven)." in message
    assert "spark.repositories" in message and "INFLUENCE_SPARK__REPOSITORIES" in message
    assert "spark.graphframes_package" in message
    assert "not resolved and proven (exit 1)" in failure_message("Traceback ...\nRuntimeError: boom\n", settings, 1)


def test_the_prefetch_prints_one_line_per_package_and_the_resolver_s_log_only_on_failure(tmp_path, monkeypatch, capsys):
    from influence import spark

    monkeypatch.setenv("INFLUENCE_JARS_CACHE", str(tmp_path))
    monkeypatch.setenv("INFLUENCE_SPARK__GRAPHFRAMES_PACKAGE", GRAPHFRAMES_BUILD)
    settings = load_config()
    proofs = {"io.delta:delta-spark_4.2_2.13:4.4.0": "Delta write proven", GRAPHFRAMES_BUILD: "GraphFrames PageRank proven"}

    def resolving_child(module, *args):  # what the child prints, and the listing it writes
        assert (module, args[0]) == ("influence.spark", "--resolve-here")
        assert Settings.model_validate_json(args[1]) == settings  # the parent's settings, as they are
        for jar in RESOLVED_JARS:
            (tmp_path / Path(jar).name).write_bytes(b"jar")
        spark._resolved_listing(settings).write_text("".join(f"{tmp_path / Path(j).name}\n" for j in RESOLVED_JARS))
        return subprocess.CompletedProcess([], 0, stdout=json.dumps(proofs) + "\n", stderr=RESOLVER_LOG)

    monkeypatch.setattr(spark, "run_quietly", resolving_child)
    assert spark.main(["--prefetch", "--no-class-archive"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == ["io.delta:delta-spark_4.2_2.13:4.4.0: resolved (3 JARs), Delta write proven",
                                f"{GRAPHFRAMES_BUILD}: resolved (2 JARs), GraphFrames PageRank proven"]
    assert err == ""

    monkeypatch.setattr(spark, "run_quietly", lambda *_: subprocess.CompletedProcess([], 1, stdout="", stderr=UNRESOLVED_LOG))
    assert spark.main(["--prefetch", "--no-class-archive"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(UNRESOLVED_LOG.rstrip()) and "error: Spark's resolver found no io.graphframes" in err


def launch_conf_options(settings) -> str:
    from influence.spark import launch_conf

    return launch_conf(settings)["spark.driver.extraJavaOptions"]


def test_a_small_input_gets_the_short_run_tuning_and_the_config_keeps_the_last_word():
    from influence.spark import QUICK_JIT, for_input

    spark = Settings().spark
    export, bronze = spark.short_run_max_export_bytes, spark.short_run_max_bronze_bytes
    short = for_input(Settings(), export, bronze).spark.conf
    assert short == {"spark.sql.codegen.factoryMode": "NO_CODEGEN", "spark.sql.adaptive.enabled": "false",
                     "spark.driver.extraJavaOptions": QUICK_JIT}
    assert for_input(Settings(), export + 1, 0) == Settings()  # a larger export: the defaults
    assert for_input(Settings(), 0, bronze + 1) == Settings()  # a larger bronze to score: the defaults
    assert for_input(Settings(), None, 0) == Settings()  # size unknown (a landing folder): the defaults
    mine = load_config(overrides={"spark": {"conf": {"spark.sql.codegen.factoryMode": "CODEGEN_ONLY",
                                                     "spark.driver.extraJavaOptions": "-Xss4m"}}})
    assert for_input(mine, 0, 0).spark.conf == {"spark.sql.codegen.factoryMode": "CODEGEN_ONLY",
                                                "spark.sql.adaptive.enabled": "false",
                                                "spark.driver.extraJavaOptions": f"{QUICK_JIT} -Xss4m"}
    forced = load_config(overrides={"spark": {"tuning": "long"}})
    assert for_input(forced, 0, 0) == forced
    assert for_input(load_config(overrides={"spark": {"tuning": "short"}}), 10**12, None).spark.conf == short


def test_the_authenticity_settings_have_their_defaults_and_take_yaml_and_the_environment(tmp_path):
    settings = load_config(environ={})
    assert settings.authenticity.enabled and settings.authenticity.authentic_scores
    assert settings.authenticity.lockstep.bucket_seconds == 3600
    attribution = settings.authenticity.attribution
    assert (attribution.wave_accounts, attribution.min_wave_share, attribution.min_focus) == (4, 0.5, 0.75)
    assert settings.authenticity.prefilter_accounts == 4  # the smaller of lockstep's 10 and the waves' 4
    config = tmp_path / "c.yaml"
    config.write_text("authenticity:\n  ring:\n    min_ratio: 8\n  dense_block:\n    min_members: 12\n")
    changed = load_config(config, environ={"INFLUENCE_AUTHENTICITY__LOCKSTEP__MIN_ACCOUNTS": "20"})
    assert changed.authenticity.ring.min_ratio == 8 and changed.authenticity.dense_block.min_members == 12
    assert changed.authenticity.lockstep.min_accounts == 20
    assert load_config(overrides={"authenticity": {"attribution": {"wave_accounts": 12}}}).authenticity \
        .prefilter_accounts == 10


def test_local_checkpoints_made_in_the_block_are_released_at_its_end_and_older_ones_kept(spark):
    from influence.spark import local_checkpoints_released

    def persisted() -> set[int]:
        return set(spark.sparkContext._jsc.getPersistentRDDs().keySet())

    older = spark.range(10).localCheckpoint()
    kept = persisted()
    with pytest.raises(RuntimeError), local_checkpoints_released(spark):
        inside = spark.range(20).selectExpr("id * 2 AS doubled").localCheckpoint()
        checkpointed = persisted() - kept
        cached = spark.range(5).cache()
        cached.count()
        in_cache = persisted() - kept - checkpointed
        assert inside.count() == 20 and len(checkpointed) == 1 and len(in_cache) == 1
        raise RuntimeError("a failed step releases them too")
    # The checkpoint's blocks are gone; a cache is its owner's to release.
    assert persisted() - kept == in_cache
    assert kept <= persisted() and older.count() == 10
    cached.unpersist()
