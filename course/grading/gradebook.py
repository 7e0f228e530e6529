"""Where nbgrader's gradebook lives, whether it can be reached, and a worker's private copy of what it needs.

nbgrader keeps every grade at ``CourseDirectory.db_url``: by default the SQLite file ``gradebook.db`` in the course
root; a course with many students, or a formgrader session while a class is graded, sets a PostgreSQL server
instead (``GRADEBOOK_URL`` in ``course_config.py``; docs/scale.md). Everything here takes any SQLAlchemy URL
nbgrader takes, and never prints a password.
"""
from pathlib import Path

from .setup_check import GradingSetupError

#: Seconds to wait for a server that does not answer, before saying so (the driver's default is forever).
CONNECT_TIMEOUT_SECONDS = 10
#: Where the instructor reads how to set the gradebook up.
GUIDE = "docs/scale.md, \"The gradebook on PostgreSQL\""


def course_db_url(root, config):
    """The gradebook's URL for the course in ``root``, as nbgrader reads it from ``config`` (its
    ``CourseDirectory.db_url``, else ``gradebook.db`` in the course root)."""
    from nbgrader.coursedir import CourseDirectory

    return CourseDirectory(config=config, root=str(Path(root).resolve())).db_url


def shown(url):
    """``url`` as it may be printed: the password masked."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def sqlite_path(url):
    """The file of a SQLite gradebook's ``url``; None for a server."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return Path(parsed.database) if parsed.get_backend_name() == "sqlite" and parsed.database else None


def engine_for(url):
    """A SQLAlchemy engine on ``url`` that gives up on a silent server after :data:`CONNECT_TIMEOUT_SECONDS`."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    timeout = {"connect_timeout": CONNECT_TIMEOUT_SECONDS} if make_url(url).get_backend_name() == "postgresql" else {}
    return create_engine(url, connect_args=timeout)


# --- can it be reached ---------------------------------------------------------------------------------------

#: What a grading command says after a gradebook it cannot reach.
GRADING_STOPPED = "Grading stopped before any student was graded; nothing was recorded."
#: What ``course grade`` says after a gradebook server that went away during its run.
LOST_DURING_RUN = ("It went away during the run, which stopped there: the students recorded before keep their grades, "
                   "the run report was not written. Once the server answers again, run the same command again (it "
                   "grades the class again).")


def require_gradebook(url, consequence=GRADING_STOPPED):
    """Connect once to the gradebook server at ``url``; a :class:`GradingSetupError` that names the fix if it cannot
    be reached (server down, wrong password, no such database, no driver), ending with ``consequence``.

    A SQLite gradebook is a file of the course root that nbgrader creates: there is no server to reach (and
    connecting would create an empty file)."""
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

    try:
        if sqlite_path(url) is not None:
            return
        engine = engine_for(url)
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        raise GradingSetupError(f"{_no_driver(url, error)} {consequence}") from None
    try:
        with engine.connect():
            pass
    except OperationalError as error:
        raise GradingSetupError(f"{unreachable(url, error)} {consequence}") from None
    finally:
        engine.dispose()


def unreachable(url, error):
    """What went wrong on ``url`` (an OperationalError met while connecting), and the fix, in English."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    said = str(getattr(error, "orig", error)).strip()
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    if "password authentication failed" in said or "no password supplied" in said:
        cause = (f"the PostgreSQL server at {where} refused the password of role {parsed.username!r}. To fix: put "
                 f"the role's password in ~/.pgpass of the user who grades (a line `{parsed.host or 'localhost'}:"
                 f"{parsed.port or 5432}:{parsed.database}:{parsed.username}:PASSWORD`, mode 0600), or correct the "
                 "URL (GRADEBOOK_URL in course_config.py, or the environment variable it reads)")
    elif "does not exist" in said and "database" in said:
        cause = (f"the server at {where} has no database {parsed.database!r}. To fix: create it "
                 f"(`createdb -h {parsed.host or 'localhost'} -p {parsed.port or 5432} -O {parsed.username} "
                 f"{parsed.database}` as a PostgreSQL superuser), or correct GRADEBOOK_URL in course_config.py")
    elif "does not exist" in said and "role" in said:
        cause = (f"the server at {where} has no role {parsed.username!r}. To fix: create it (`createuser --pwprompt "
                 f"{parsed.username}` as a PostgreSQL superuser), or correct GRADEBOOK_URL in course_config.py")
    else:
        cause = (f"the PostgreSQL server at {where} does not answer ({said.splitlines()[0] if said else error}). "
                 f"To fix: start it (e.g. `systemctl start postgresql` on its machine; `pg_isready -h "
                 f"{parsed.host or 'localhost'} -p {parsed.port or 5432}` checks it), or correct the host and port "
                 "of GRADEBOOK_URL in course_config.py")
    return f"The gradebook ({shown(url)}) cannot be reached: {cause} (see {GUIDE})."


def _no_driver(url, error):
    return (f"The gradebook's URL ({shown(url)}) cannot be used: {type(error).__name__}: {error}. To fix: write a "
            "URL SQLAlchemy knows, e.g. postgresql+psycopg://ROLE@HOST:PORT/DATABASE, with its driver installed in "
            f"the course environment (`pip install -e .` installs psycopg) (see {GUIDE}).")


# --- where the password lives ----------------------------------------------------------------------------------

def refuse_written_password(url, path):
    """A GradingSetupError if the password of ``url`` is written in the file ``path`` (``course_config.py``:
    committed, read by everyone who reads the course's configuration). The password belongs in ~/.pgpass, or in
    an environment variable or a private file the configuration reads."""
    from sqlalchemy.engine import make_url

    password = make_url(url).password
    if password and Path(path).is_file() and str(password) in Path(path).read_text(encoding="utf-8"):
        raise GradingSetupError(
            f"The gradebook's password is written in {path}, a file the course's configuration shares with anyone "
            "who reads it (and with its repository). To fix: remove it from GRADEBOOK_URL and put it in ~/.pgpass of "
            "the user who grades (a line HOST:PORT:DATABASE:ROLE:PASSWORD, mode 0600), or read the whole URL from an "
            f"environment variable or a file only that user can read (see {GUIDE}).")


# --- a worker's private gradebook ---------------------------------------------------------------------------------

def worker_gradebook(url, assignment, destination):
    """Build at ``destination`` a SQLite gradebook holding what a ``course grade`` worker needs to execute
    ``assignment``'s submissions, copied from the gradebook at ``url`` (SQLite or a server): the assignment's
    definition (its course, notebooks, cells, source cells) and the students. No submission and no grade: a worker
    records nothing, and cannot see another assignment's or another run's. Returns ``destination``.

    The rows are copied over nbgrader's own table definitions (``nbgrader.api``'s metadata), so the copy has
    nbgrader's schema whatever the server's dialect.
    """
    from nbgrader.api import Base
    from sqlalchemy import create_engine

    destination = Path(destination)
    destination.unlink(missing_ok=True)
    tables = Base.metadata.tables
    source, target = engine_for(url), create_engine(f"sqlite:///{destination}")
    try:
        Base.metadata.create_all(target)
        with source.connect() as read, target.begin() as write:
            for table, rows in _definition_rows(read, tables, assignment):
                if rows:
                    write.execute(tables[table].insert(), rows)
            version = _alembic_version(read)
            if version:  # nbgrader's schema version, as `nbgrader db upgrade` would find it
                write.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
                write.exec_driver_sql("INSERT INTO alembic_version (version_num) VALUES (?)", (version,))
    finally:
        source.dispose()
        target.dispose()
    return destination


def _definition_rows(read, tables, assignment):
    """(table name, rows as dicts) of ``assignment``'s definition and the students, parents before children."""
    from sqlalchemy import select

    def rows(table, *where):
        return [dict(row._mapping) for row in read.execute(select(tables[table]).where(*where))]

    found = rows("assignment", tables["assignment"].c.name == assignment)
    notebooks = rows("notebook", tables["notebook"].c.assignment_id.in_([a["id"] for a in found]))
    notebook_ids = [n["id"] for n in notebooks]
    cells = rows("base_cell", tables["base_cell"].c.notebook_id.in_(notebook_ids))
    cell_ids = [c["id"] for c in cells]
    yield "course", rows("course", tables["course"].c.id.in_([a["course_id"] for a in found]))
    yield "assignment", found
    yield "notebook", notebooks
    yield "base_cell", cells
    for kind in ("grade_cells", "solution_cells", "task_cells"):
        yield kind, rows(kind, tables[kind].c.id.in_(cell_ids))
    yield "source_cell", rows("source_cell", tables["source_cell"].c.notebook_id.in_(notebook_ids))
    yield "student", rows("student")


def _alembic_version(read):
    from sqlalchemy import inspect, text

    if "alembic_version" not in inspect(read).get_table_names():
        return None
    return read.execute(text("SELECT version_num FROM alembic_version")).scalar()
