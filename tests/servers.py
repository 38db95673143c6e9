"""Servers and a disk of a test's own: PostgreSQL and Redis on free loopback ports, which the test
may restart (the shared servers other tests use are never restarted), a TCP proxy in front of a
server that the test may cut or stall, and a small tmpfs it may make read-only or fill.

They need the servers' programs (Debian's postgresql and redis-server packages) and, for the disks,
mount, mkfs.ext4 (e2fsprogs) and root. Without them the test is skipped on a developer's machine
(a missing program is named at the end of the run, see ``programs``); in CI it fails instead.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis

from .crawling import wait_for
from .programs import require_program


def _missing(what: str) -> NoReturn:
    """A missing privilege or kernel feature (a missing program goes through ``require_program``)."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required in CI")
    pytest.skip(f"{what} is not available")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TcpProxy:
    """A TCP proxy on loopback in front of the server of ``url`` (``self.url`` goes through it).

    ``cut()`` closes every connection and refuses new ones, as when the server goes away.
    ``stall()`` keeps every connection open but forwards no byte either way, and holds new ones
    the same (their kernel still acknowledges what is sent: a hung proxy or a frozen server);
    ``resume()`` forwards again what was held. An end closing its side is passed on.
    """

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 0)
        self.listener = socket.create_server(("127.0.0.1", 0))
        port = self.listener.getsockname()[1]
        user = parts.netloc.rpartition("@")[0]
        self.url = urlunsplit(parts._replace(netloc=f"{user}@127.0.0.1:{port}".lstrip("@")))
        self.sockets: list[socket.socket] = [self.listener]
        self.flowing = threading.Event()
        self.flowing.set()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            self.sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self.flowing.wait()
                sink.sendall(data)
            self.flowing.wait()
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def stall(self) -> None:
        self.flowing.clear()

    def resume(self) -> None:
        self.flowing.set()

    def cut(self) -> None:
        self.flowing.set()
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


class PrivatePostgres:
    """A PostgreSQL cluster in a temporary directory (run as the ``postgres`` user when the tests
    run as root, since PostgreSQL refuses to run as root)."""

    def __init__(self, bindir: Path, root: Path) -> None:
        self.bindir = bindir
        self.root = root
        self.data = root / "data"
        self.port = _free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *arguments: str) -> None:
        command = [str(self.bindir / program), *arguments]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--no-locale", "--no-sync")  # fmt: skip
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l",
                  str(self.root / "server.log"), "-w", "start")  # fmt: skip

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: every connection is closed, the server is down a moment."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-m", "fast", "-w", "restart")  # fmt: skip

    def stop(self, mode: str = "immediate") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def answers(self) -> bool:
        try:
            with psycopg.connect(self.url, connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))  # Debian keeps them off PATH
    initdb = Path(
        require_program(
            "initdb", "PostgreSQL outage tests", "postgresql", found[-1] if found else None
        )
    )
    root = Path(tempfile.mkdtemp(prefix="mizan-pg-"))  # not under pytest's root-only tmp_path
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    server = PrivatePostgres(initdb.parent, root)
    try:
        server.init()
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


class PrivateRedis:
    """A Redis server with its append-only file in a temporary directory, as docker-compose runs
    it: a restart keeps the data. With a ``password`` it refuses every client that does not give
    it (``requirepass``); ``url`` then carries it in its user-info."""

    def __init__(self, program: str, root: Path, password: str = "") -> None:
        self.program = program
        self.root = root
        self.port = _free_port()
        self.password = password
        self.address = f"127.0.0.1:{self.port}/0"
        self.url = f"redis://{f':{password}@' if password else ''}{self.address}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.program, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--dir", str(self.root), "--logfile", "server.log",
             *(["--requirepass", self.password] if self.password else [])],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self.answers, "Redis", timeout=30)

    def stop(self) -> None:
        """SIGTERM, as ``docker compose restart`` sends: Redis writes its file and exits."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def restart(self) -> None:
        self.stop()
        self.start()

    def answers(self) -> bool:
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()


@contextmanager
def private_redis(password: str = "") -> Iterator[PrivateRedis]:
    program = require_program("redis-server", "Redis outage tests", "redis-server")
    root = Path(tempfile.mkdtemp(prefix="mizan-redis-"))
    server = PrivateRedis(program, root, password)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


class ScratchDisk:
    """A small file system of the test's own (tmpfs), which the test can make read-only or fill."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _mount(self, *options: str) -> None:
        subprocess.run(["mount", *options, str(self.path)], check=True, capture_output=True)

    def read_only(self) -> None:
        """Remount read-only (the kernel refuses while a file is open for writing)."""
        self._mount("-o", "remount,ro")

    def writable(self) -> None:
        self._mount("-o", "remount,rw")

    def fill(self) -> Path:
        """Take every free byte; returns the filler, whose removal frees them again."""
        filler = self.path / "filler"
        # Unbuffered: a write the full disk refuses leaves nothing behind for close() to retry.
        with filler.open("wb", buffering=0) as out, contextlib.suppress(OSError):
            while True:
                out.write(bytes(1 << 16))
        return filler


@contextmanager
def scratch_disk(path: Path, size: str = "16m") -> Iterator[ScratchDisk]:
    """Mounting needs root (or CAP_SYS_ADMIN): skipped without, except in CI."""
    require_program("mount", "disk tests", "mount")
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "mizan-test", str(path)],
        check=False,
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        _missing(f"mounting a file system ({mounted.stderr.strip() or 'mount failed'})")
    try:
        yield ScratchDisk(path)
    finally:
        subprocess.run(["umount", "--lazy", str(path)], check=False, capture_output=True)


class Ext4Disk:
    """An ext4 file system on a loop device, mounted ``errors=remount-ro``: an error makes the
    kernel remount it read-only under the writers' feet, as it does when a real disk fails."""

    def __init__(self, image: Path, path: Path) -> None:
        self.image = image
        self.path = path
        self.device = ""

    def attach(self) -> None:
        self.device = _command("losetup", "--find", "--show", str(self.image)).strip()
        _command("blockdev", "--setrw", self.device)
        _command("mount", "-o", "errors=remount-ro", self.device, str(self.path))

    def fail(self) -> None:
        """The kernel's own test hook: an ext4 error, and the file system goes read-only."""
        name = Path(self.device).name
        Path(f"/sys/fs/ext4/{name}/trigger_fs_error").write_text("mizan-crawler test\n")

    def repair(self) -> None:
        """What an operator does: unmount, check the file system, mount it again."""
        self.detach()
        checked = subprocess.run(
            ["e2fsck", "-f", "-y", str(self.image)], check=False, capture_output=True
        )
        assert checked.returncode in (0, 1), checked.stdout  # 1: errors corrected
        self.attach()

    def detach(self, lazy: bool = False) -> None:
        unmount = ["umount", "--lazy"] if lazy else ["umount"]
        subprocess.run([*unmount, str(self.path)], check=False, capture_output=True)
        subprocess.run(["losetup", "--detach", self.device], check=False, capture_output=True)


def _command(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


@contextmanager
def ext4_disk(path: Path, megabytes: int = 64) -> Iterator[Ext4Disk]:
    """Needs root, loop devices and mkfs.ext4: skipped without, except in CI."""
    require_program("mkfs.ext4", "ext4 disk tests", "e2fsprogs")
    require_program("losetup", "ext4 disk tests", "mount")
    path.mkdir(parents=True, exist_ok=True)
    image = path.parent / f"{path.name}.img"
    with image.open("wb") as sparse:
        sparse.truncate(megabytes << 20)
    disk = Ext4Disk(image, path)
    try:
        _command("mkfs.ext4", "-q", "-F", str(image))
        disk.attach()
    except (OSError, subprocess.CalledProcessError) as error:
        disk.detach()
        _missing(f"an ext4 file system on a loop device ({error})")
    try:
        yield disk
    finally:
        disk.detach(lazy=True)
