"""Deployment: the compose file and the image as a new operator gets them, and the scheduler's
entry command run for real (outside Docker) against the replica and PostgreSQL."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from mizan_crawler.oneoff import crawl_arguments
from mizan_crawler.replica import ReplicaServer
from mizan_crawler.scheduler import healthy, write_heartbeat
from mizan_crawler.store import open_store

from .programs import require_program

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compose_config(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """``docker-compose config`` of the committed file with the committed ``.env.example``."""
    require_program("docker-compose", "compose tests", "docker-compose")
    folder = tmp_path_factory.mktemp("compose")
    shutil.copy(ROOT / "docker-compose.yml", folder / "docker-compose.yml")
    shutil.copy(ROOT / ".env.example", folder / ".env")
    done = subprocess.run(
        ["docker-compose", "config"], cwd=folder, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def test_compose_services_and_volumes(compose_config: dict) -> None:
    services = compose_config["services"]
    assert set(services) == {"postgres", "redis", "scheduler", "backfill"}
    assert set(compose_config["volumes"]) == {"postgres-data", "redis-data", "crawler-data"}
    assert services["backfill"]["profiles"] == ["backfill"]
    for name in ("postgres", "redis", "scheduler"):
        assert services[name]["healthcheck"]["test"], name
        assert services[name]["restart"] == "unless-stopped"


def test_compose_pins_images_and_wires_the_store(compose_config: dict) -> None:
    services = compose_config["services"]
    assert re.fullmatch(r"postgres:\d+\.\d+[-\w]*", services["postgres"]["image"])
    assert re.fullmatch(r"redis:\d+\.\d+\.\d+[-\w]*", services["redis"]["image"])
    for name in ("scheduler", "backfill"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"] == "postgresql://mizan:change-me@postgres:5432/mizan"
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "crawler-data:/app/data" in services[name]["volumes"][0]
    assert services["scheduler"]["command"][:2] == ["--interval", "15"]
    assert services["backfill"]["entrypoint"][-2:] == ["mizan_crawler.oneoff", "backfill"]


def test_compose_needs_a_password_from_the_environment(tmp_path: Path) -> None:
    require_program("docker-compose", "compose tests", "docker-compose")
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    (tmp_path / ".env").write_text("POSTGRES_USER=mizan\n")
    done = subprocess.run(
        ["docker-compose", "config"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode != 0
    assert "POSTGRES_PASSWORD" in done.stderr


def test_dockerfile_is_pinned_non_root_and_secret_free() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11\.\d+-slim-\w+$", dockerfile, re.M)
    assert re.search(r"^USER mizan$", dockerfile, re.M)
    assert 'VOLUME ["/app/data"]' in dockerfile
    assert "pip install ." in dockerfile  # dependencies from the project's own metadata
    assert not re.search(r"(PASSWORD|TOKEN|SECRET)\s*=", dockerfile)
    assert "HEALTHCHECK" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".venv", "data", ".git"} <= set(ignored)


def test_every_dependency_has_a_lower_and_an_upper_bound() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    assert requirements
    for requirement in requirements:
        specifiers = Requirement(requirement).specifier
        assert any(s.operator in (">=", ">", "~=", "==") for s in specifiers), requirement
        assert any(s.operator in ("<", "<=", "~=", "==") for s in specifiers), requirement


def test_oneoff_turns_plain_words_into_spider_arguments() -> None:
    assert crawl_arguments(["from=2024-06-01", "to=1403-03-31", "-s", "LOG_LEVEL=DEBUG"]) == [
        "-a", "from=2024-06-01", "-a", "to=1403-03-31", "-s", "LOG_LEVEL=DEBUG",
    ]  # fmt: skip


def test_health_check_reads_the_heartbeat(tmp_path: Path) -> None:
    heartbeat = tmp_path / "hb.json"
    assert not healthy(heartbeat, 15)
    write_heartbeat(heartbeat, 3, 0)
    assert healthy(heartbeat, 15)
    assert not healthy(heartbeat, 15, now=datetime.now(UTC) + timedelta(hours=2))


def _scheduler(workdir: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "mizan_crawler.scheduler", *args]
    return subprocess.run(
        command,
        cwd=workdir,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_scheduler_runs_news_for_two_intervals_into_postgres(
    replica: ReplicaServer, tmp_path: Path, pg_url: str
) -> None:
    env = {"DATABASE_URL": pg_url, "MIZAN_BASE_URL": replica.base_url}
    crawl_options = ["--", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]
    done = _scheduler(tmp_path, env, "--interval", "0.05", "--max-runs", "2", *crawl_options)
    assert done.returncode == 0, done.stderr
    log = done.stderr
    assert "Run 1 finished" in log and "Run 2 finished" in log
    first, second = log.index("Run 1 finished"), log.index("Run 2:")
    assert first < second
    with open_store(pg_url) as store:
        stored = store.known_codes()
    newest = {row["news_code"] for row in replica.truth_records()}
    assert stored and stored <= newest
    assert log.count("Crawl summary (finished") == 2
    assert (tmp_path / "data" / "scheduler-heartbeat.json").exists()


def test_a_failed_run_is_logged_and_retried_next_interval(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    env = {
        "DATABASE_URL": "postgresql://nobody:pw@127.0.0.1:1/none",
        "MIZAN_BASE_URL": replica.base_url,
    }
    done = _scheduler(
        tmp_path,
        env,
        "--interval",
        "0.01",
        "--max-runs",
        "2",
        "--",
        "-s",
        "MIZAN_STORE_CLOSE_RETRY_SECONDS=0",
    )
    assert done.returncode == 0
    assert "Run 1 failed (exit status" in done.stderr
    assert "Run 2 failed (exit status" in done.stderr
    assert "pw@" not in done.stderr


def test_demo_runs_the_whole_pipeline_offline(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mizan_crawler.demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert out.count("monitors failed: none") == 2
    assert "$ mizan-crawler export --format parquet" in out
    assert (tmp_path / "demo" / "dataset" / "articles.parquet").exists()
    assert (tmp_path / "demo" / "dataset" / "README.md").exists()
    assert "per month (Jalali):" in out
