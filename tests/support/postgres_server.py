"""A real PostgreSQL server for the tests, on 127.0.0.1 with a free port, in a temporary data directory.

Debian's ``postgresql`` package (the Makefile installs it) gives the server's programs, not a running cluster. The
server refuses to run as root, so as root (CI) it runs as the ``postgres`` Unix user the package created; as anyone
else, as that user. It listens on TCP only (no Unix socket), with password authentication (scram-sha-256)
for every connection, as a site's server would: a wrong password is refused. Durability is traded for speed
(``fsync=off``): the data directory is thrown away after the session.
"""
import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

#: The role the course connects as (an instructor's, not a superuser), and the superuser's name.
COURSE_ROLE, SUPERUSER = "course_grader", "postgres"


def server_programs():
    """The folder of ``initdb`` and ``pg_ctl`` (the newest Debian ``postgresql`` installed)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise RuntimeError("PostgreSQL's server is not installed: `make setup` installs Debian's `postgresql` "
                           "(or `apt-get install postgresql`).")
    return Path(found[-1]).parent


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """``start()`` a fresh cluster, ``database()`` a fresh database owned by :data:`COURSE_ROLE`, ``stop()``."""

    def __init__(self):
        self.bin = server_programs()
        self.port = free_port()
        self.superuser_password = secrets.token_hex(12)
        self.password = secrets.token_hex(12)  # COURSE_ROLE's
        self.folder = None
        self.databases = 0

    # --- running as the server's own user --------------------------------------------------------------------

    def _owner(self):
        """The Unix user that runs the server: ``postgres`` as root, else this user."""
        return pwd.getpwnam("postgres") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())

    def _run(self, *command):
        owner = self._owner()
        result = subprocess.run([str(self.bin / command[0]), *command[1:]], user=owner.pw_uid, group=owner.pw_gid,
                                extra_groups=[] if os.geteuid() == 0 else None, cwd=self.folder,
                                env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            log = self.folder / "server.log"
            raise RuntimeError(f"{command[0]} failed: {result.stdout}{result.stderr}\n"
                               f"{log.read_text() if log.exists() else ''}")
        return result

    def start(self):
        self.folder = Path(tempfile.mkdtemp(prefix="course-postgres-"))
        owner = self._owner()
        os.chown(self.folder, owner.pw_uid, owner.pw_gid)
        (self.folder / "pw").write_text(self.superuser_password + "\n")
        os.chown(self.folder / "pw", owner.pw_uid, owner.pw_gid)
        self._run("initdb", "-D", "data", "-U", SUPERUSER, "--pwfile", "pw", "--auth", "scram-sha-256",
                  "--encoding", "UTF8", "--locale", "C.UTF-8")
        self.resume()
        with self.superuser() as admin:
            admin.execute(f"CREATE ROLE {COURSE_ROLE} LOGIN PASSWORD '{self.password}'")
        return self

    def pause(self):
        """Stop the server at once, as a crash would, keeping its data: :meth:`resume` starts it again."""
        self._run("pg_ctl", "-D", "data", "-m", "immediate", "-w", "stop")

    def resume(self):
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories='' "
                   "-c fsync=off -c full_page_writes=off -c max_connections=200 "
                   "-c shared_preload_libraries=pg_stat_statements")  # to count a run's statements
        self._run("pg_ctl", "-D", "data", "-l", "server.log", "-o", options, "-w", "-t", "60", "start")

    def stop(self):
        if self.folder is None:
            return
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", "data", "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None

    # --- what the tests use ----------------------------------------------------------------------------------

    def superuser(self):
        import psycopg

        return psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, password=self.superuser_password,
                               dbname="postgres", autocommit=True)

    def database(self, name=None):
        """A new, empty database owned by :data:`COURSE_ROLE`; its name."""
        self.databases += 1
        name = name or f"gradebook_{self.databases}"
        with self.superuser() as admin:
            admin.execute(f"CREATE DATABASE {name} OWNER {COURSE_ROLE}")
        return name

    def url(self, database, password=True, port=None):
        """The SQLAlchemy URL of ``database`` as the course's role: with its password (``True``), another one (a
        string), or none (``None``: libpq then reads PGPASSFILE, as a course does with ~/.pgpass)."""
        secret = self.password if password is True else password
        login = f"{COURSE_ROLE}:{secret}" if secret else COURSE_ROLE
        return f"postgresql+psycopg://{login}@127.0.0.1:{port or self.port}/{database}"

    def point_course_at(self, root, database, monkeypatch, folder):
        """Make the course in ``root`` keep its grades in ``database``, as docs/scale.md says: GRADEBOOK_URL
        without a password in its course_config.py, the password in a private pgpass file (PGPASSFILE, for this
        process and the commands it starts). This process's course_config module (imported once, shared by every
        course copy loaded in-process) gets the same URL. Returns the URL."""
        import course_config

        url = self.url(database, password=None)
        pgpass = Path(folder) / "pgpass"
        pgpass.write_text(f"127.0.0.1:{self.port}:{database}:{COURSE_ROLE}:{self.password}\n")
        pgpass.chmod(0o600)
        monkeypatch.setenv("PGPASSFILE", str(pgpass))
        with open(Path(root) / "course_config.py", "a", encoding="utf-8") as stream:
            stream.write(f"\n# The tests' server (its password: PGPASSFILE).\nGRADEBOOK_URL = {url!r}\n")
        monkeypatch.setattr(course_config, "GRADEBOOK_URL", url)
        return url

    def admin_url(self, database):
        """``database`` as the server's superuser: a client whose statements :meth:`load` does not count."""
        return f"postgresql+psycopg://{SUPERUSER}:{self.superuser_password}@127.0.0.1:{self.port}/{database}"

    def load(self, database, role=COURSE_ROLE):
        """{"connections (any role)", "statements", "commits", "rows written"} on ``database`` so far: sessions
        opened by any role (pg_stat_database), and by ``role``, from pg_stat_statements (loaded by this server):
        statements run (COMMIT included), transactions committed, rows inserted, updated or deleted."""
        with self.superuser() as admin:
            admin.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            rows = admin.execute(
                "SELECT s.query, s.calls, s.rows FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
                "JOIN pg_roles r ON r.oid = s.userid WHERE d.datname = %s AND r.rolname = %s",
                (database, role)).fetchall()
            admin.execute("SELECT pg_stat_force_next_flush()")
            sessions = admin.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s",
                                     (database,)).fetchone()[0]
        writes = ("INSERT", "UPDATE", "DELETE")
        return {"connections (any role)": int(sessions), "statements": sum(calls for _, calls, _ in rows),
                "commits": sum(calls for query, calls, _ in rows if query.strip().upper() == "COMMIT"),
                "rows written": sum(count for query, _, count in rows if query.lstrip().upper().startswith(writes))}
