"""The images and the compose file, as far as a machine without a Docker engine can check."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from influence.config import load_config

DOCKER = Path(__file__).resolve().parents[2] / "docker"
HADOLINT = Path(sys.executable).with_name("hadolint")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text())


@pytest.mark.parametrize("image", ["spark", "airflow"])
def test_dockerfiles_pass_the_linter(image):
    done = subprocess.run([str(HADOLINT), "--no-color", str(DOCKER / image / "Dockerfile")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("image", ["spark", "airflow"])
def test_images_install_the_lock_and_bake_the_delta_and_graphframes_jars_in(image):
    text = (DOCKER / image / "Dockerfile").read_text()
    assert "pip install --no-deps -r requirements.lock" in text
    # JARs resolved at build, proven by a Delta write and a GraphFrames PageRank
    assert "python -m influence.spark --prefetch" in text
    assert "openjdk-17-jre-headless" in text
    for copied in ("requirements.lock", "jobs", "schemas", "pyproject.toml"):
        assert (DOCKER.parent / copied).exists()


@pytest.mark.parametrize("image", ["spark", "airflow"])
def test_images_resolve_the_configured_graphframes_build_and_keep_it_for_their_sessions(image):
    text = (DOCKER / image / "Dockerfile").read_text()
    args = dict(line.removeprefix("ARG ").split("=", 1) for line in text.splitlines() if line.startswith("ARG "))
    # By default the same coordinate the settings default to, so a session finds the baked listing.
    assert args["GRAPHFRAMES_PACKAGE"] == load_config(environ={}).spark.graphframes_package
    assert yaml.safe_load(args["MAVEN_REPOSITORIES"].strip('"')) == []
    assert "INFLUENCE_SPARK__GRAPHFRAMES_PACKAGE=${GRAPHFRAMES_PACKAGE}" in text
    assert "INFLUENCE_SPARK__REPOSITORIES=${MAVEN_REPOSITORIES}" in text
    assert text.index("ENV INFLUENCE_SPARK__GRAPHFRAMES_PACKAGE") < text.index("influence.spark --prefetch")


def test_compose_wires_airflow_to_postgres_the_spark_cluster_and_the_shared_volumes(compose):
    services = compose["services"]
    airflow = {"airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"}
    assert airflow | {"postgres", "airflow-init", "spark-master", "spark-worker-1", "spark-worker-2"} == set(services)
    assert {"lake", "landing"} <= set(compose["volumes"])
    config = load_config(DOCKER / "influence.yaml", environ={})
    lake, landing = str(config.orchestration.lake), str(config.pull.landing)
    for name in airflow | {"airflow-init"}:
        service = services[name]
        env = service["environment"]
        assert "postgres:5432" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert {f"lake:{lake}", f"landing:{landing}"} <= set(service["volumes"])
        assert env["INFLUENCE_CONFIG"] == "/opt/influence/influence.yaml"
        assert yaml.safe_load(env["AIRFLOW_CONN_INFLUENCE_SPARK"]) == {
            "conn_type": "spark", "host": "spark://spark-master", "port": 7077}
        assert service["build"]["dockerfile"] == "docker/airflow/Dockerfile"
    for name in ("airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"):
        assert services[name]["command"][:2] == ["airflow", name.removeprefix("airflow-")]
        assert services[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    master = services["spark-master"]["command"]
    assert master[0] == "org.apache.spark.deploy.master.Master" and master[master.index("--port") + 1] == "7077"
    for name in ("spark-worker-1", "spark-worker-2"):
        worker = services[name]
        assert worker["command"][:2] == ["org.apache.spark.deploy.worker.Worker", "spark://spark-master:7077"]
        # Executors write the Delta files: the lake must be the same path as on the driver.
        assert f"lake:{lake}" in worker["volumes"]
        assert worker["image"] == services["spark-master"]["image"]


def test_docker_compose_accepts_the_file():
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("no docker-compose binary (apt-get install docker-compose); the YAML is checked above")
    done = subprocess.run([binary, "-f", str(DOCKER / "compose.yaml"), "config", "--quiet"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
