import pytest

from influence.config import ConfigError, load_config


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
        patched.setattr(spark, "jvm_packages", lambda: ["io.delta:delta-spark_4.2_2.13:9.9.9"])
        patched.setattr(spark, "_resolved_jars", lambda _settings: None)
        assert spark.class_archive_path(settings) != made_for
    assert spark.class_archive_path(settings) == made_for


def launch_conf_options(settings) -> str:
    from influence.spark import launch_conf

    return launch_conf(settings)["spark.driver.extraJavaOptions"]
