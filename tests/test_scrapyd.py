"""Scrapyd as an operator uses it: a real Scrapyd (a dev dependency) on loopback, the project
deployed to it with ``scrapyd-deploy`` from a copy of the checkout, and a ``news`` job scheduled
with settings against the replica, which ends finished with the replica's recent articles in the
store and in Scrapyd's items feed."""

from __future__ import annotations

import configparser
import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from mizan_crawler.replica import Corpus, ReplicaServer
from mizan_crawler.store import open_store

from .crawling import wait_for

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # scrapyd and scrapyd-deploy come with the dev extras
PROJECT = configparser.ConfigParser()
PROJECT.read(ROOT / "scrapy.cfg")
PROJECT_NAME = PROJECT["deploy"]["project"]

CONFIG = """[scrapyd]
bind_address = 127.0.0.1
http_port = {port}
eggs_dir = {root}/eggs
logs_dir = {root}/logs
items_dir = {root}/items
dbs_dir = {root}/dbs
poll_interval = 0.2
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _clean_environment(home: Path) -> dict[str, str]:
    """The environment without this checkout on ``PYTHONPATH`` (the job must run the deployed
    egg), without the project's own variables (its settings come with the job) and with a home
    of its own (Scrapyd also reads ``~/.scrapyd.conf``)."""
    return {
        name: value
        for name, value in os.environ.items()
        if name not in ("PYTHONPATH", "DATABASE_URL", "SCRAPY_SETTINGS_MODULE", "CI")
        and not name.startswith(("MIZAN_", "SPIDERMON_"))
    } | {"HOME": str(home)}


@dataclass
class Scrapyd:
    """A Scrapyd of the test's own: its address and its working directory."""

    url: str
    root: Path

    def call(self, endpoint: str, data: dict[str, Any] | None = None, **query: str) -> dict:
        """One JSON API call: GET with ``query``, or POST of ``data`` (lists repeat a field)."""
        address = f"{self.url}/{endpoint}?{urllib.parse.urlencode(query)}"
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        with urllib.request.urlopen(address, data=body, timeout=10) as answer:
            return json.load(answer)

    def answers(self) -> bool:
        try:
            return self.call("daemonstatus.json")["status"] == "ok"
        except (OSError, urllib.error.URLError):
            return False

    def output(self) -> str:
        """What Scrapyd logged: each job's end, with its exit status when not 0."""
        return (self.root / "scrapyd.out").read_text("utf-8")

    def finished(self, job: str) -> bool:
        jobs = self.call("listjobs.json", project=PROJECT_NAME)
        return any(entry["id"] == job for entry in jobs["finished"])


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[Scrapyd]:
    root = tmp_path / "scrapyd"
    root.mkdir()
    port = _free_port()
    (root / "scrapyd.conf").write_text(CONFIG.format(port=port, root=root))
    with (root / "scrapyd.out").open("wb") as output:
        process = subprocess.Popen(
            [BIN / "scrapyd"],
            cwd=root,
            env=_clean_environment(root),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = Scrapyd(f"http://127.0.0.1:{port}", root)
    try:
        wait_for(lambda: server.answers() or process.poll() is not None, "Scrapyd", timeout=60)
        assert process.poll() is None, server.output()
        yield server
    finally:
        process.terminate()
        process.wait(timeout=30)


def _project_copy(folder: Path, scrapyd_url: str) -> Path:
    """What a fresh clone holds for a deploy, with the deploy target pointing at ``scrapyd_url``;
    scrapyd-deploy's build files (setup.py, build/, *.egg-info) land here, not in the checkout."""
    folder.mkdir()
    for name in ("pyproject.toml", "README.md", "scrapy.cfg"):
        shutil.copy(ROOT / name, folder / name)
    shutil.copytree(
        ROOT / "mizan_crawler",
        folder / "mizan_crawler",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    config = configparser.ConfigParser()
    config.read(folder / "scrapy.cfg")
    config["deploy"]["url"] = scrapyd_url + "/"
    with (folder / "scrapy.cfg").open("w") as out:
        config.write(out)
    return folder


def test_deployed_to_scrapyd_a_scheduled_news_job_fills_the_store(
    scrapyd: Scrapyd, tmp_path: Path
) -> None:
    project = _project_copy(tmp_path / "project", scrapyd.url)
    deployed = subprocess.run(
        [BIN / "scrapyd-deploy", "--version", "1"],
        cwd=project,
        env=_clean_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert deployed.returncode == 0, deployed.stderr
    answer = json.loads(deployed.stdout.strip().splitlines()[-1])
    assert (answer["status"], answer["project"]) == ("ok", PROJECT_NAME)
    listed = scrapyd.call("listspiders.json", project=PROJECT_NAME)["spiders"]
    assert sorted(listed) == ["article", "backfill", "news"]

    database = tmp_path / "mizan.sqlite"
    with ReplicaServer(Corpus(300, seed=7)) as replica:
        settings = {
            "MIZAN_BASE_URL": replica.base_url,
            "DATABASE_URL": f"sqlite:///{database}",
            "DOWNLOAD_DELAY": "0",
            "AUTOTHROTTLE_ENABLED": "False",
            "MIZAN_STATS_FILE": "stats/news.json",  # relative: in Scrapyd's working directory
        }
        scheduled = scrapyd.call(
            "schedule.json",
            data={
                "project": PROJECT_NAME,
                "spider": "news",
                "setting": [f"{name}={value}" for name, value in settings.items()],
            },
        )
        assert scheduled["status"] == "ok", scheduled
        job = scheduled["jobid"]
        wait_for(lambda: scrapyd.finished(job), "the news job", timeout=180)
        horizon = {
            row["news_code"]
            for row in replica.truth_records(since=replica.now - timedelta(hours=48))
        }
        existing = {row["news_code"] for row in replica.truth_records()}

    ended = f"Process finished: project={PROJECT_NAME!r} spider='news' job={job!r}"  # exit 0
    wait_for(lambda: ended in scrapyd.output(), "Scrapyd's exit status of the job", timeout=10)
    log = (scrapyd.root / "logs" / PROJECT_NAME / "news" / f"{job}.log").read_text("utf-8")
    assert "Spider closed (finished)" in log, log[-3000:]
    stats = json.loads((scrapyd.root / "stats" / "news.json").read_text("utf-8"))
    assert stats["finish_reason"] == "finished"
    assert not stats.get("mizan/monitors/failed"), log[-3000:]

    with open_store(f"sqlite:///{database}") as store:
        stored = store.known_codes()
    assert horizon, "the replica has recent articles"
    assert horizon <= stored <= existing
    feed = scrapyd.root / "items" / PROJECT_NAME / "news" / f"{job}.jl"
    fed = [json.loads(line) for line in feed.read_text("utf-8").splitlines() if line]
    assert sorted(item["news_code"] for item in fed) == sorted(stored)
    assert not (ROOT / "setup.py").exists()
