"""``course doctor [--root PATH] [--python PATH]``: check a deployment and name the command that fixes each problem.

Run it as the instructor, in the course root, with the course's environment. Each check is one small function
that returns :class:`~.findings.Finding` objects: the permissions of the course folder, nbgrader's exchange, the
environments (the grading Python, the Python that runs nbgrader and the formgrader, graders), user namespaces
(the sandbox), the weights cache, and the configuration nbgrader actually loads there. The exit status is 1 when
something is wrong (an error or a warning), else 0.

Grading runs the cheap checks first (:func:`grading_findings`, called by ``course grade`` and by plain
``nbgrader autograde``'s setup check): the sandbox can start, the grading Python exists, nothing others may
write; what they find stops grading before any student (errors) or is printed (warnings).
"""
import argparse
import json
import os
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import permissions, userns
from .findings import error, note, report, warning

#: What the course folder holds that nobody else may read or write, and why it matters.
PRIVATE_ENTRIES = {
    "gradebook.db": "every student's grades",
    "source": "the solutions",
    "graders": "the references of the hidden tests",
    "submitted": "the students' hand-ins",
    "autograded": "the graded notebooks",
    "feedback": "each student's feedback",
    "reports": "run and integrity reports on each student",
}
#: nbgrader's default exchange (a site sets Exchange.root in its global nbgrader_config.py).
NBGRADER_DEFAULT_EXCHANGE = "/usr/local/share/nbgrader/exchange"

#: Run by the Python that runs nbgrader (or the formgrader), in the course root: its configuration, loaded as
#: ``nbgrader`` loads it (the global files, then the course root's nbgrader_config.py).
CONFIG_PROBE = r"""
import contextlib, io, json, sys
said = io.StringIO()
with contextlib.redirect_stderr(said), contextlib.redirect_stdout(said):
    from nbgrader.apps import NbGrader
    from nbgrader.exchange.default import Exchange
    app = NbGrader()
    app.initialize([])
c = app.config
def get(section, key, default=None):
    return (c.get(section) or {}).get(key, default)
found = {}
for name in ("course", "course_config"):
    try:
        found[name] = __import__(name).__file__
    except Exception as problem:
        found[name] = None
print(json.dumps({
    "python": sys.executable, "files": list(app.loaded_config_files), "root": app.coursedir.root,
    "course_id": app.coursedir.course_id, "groupshared": app.coursedir.groupshared, "db_url": app.coursedir.db_url,
    "exchange": get("Exchange", "root", Exchange.class_traits()["root"].default_value),
    "refused": get("CourseSetup", "refused"), "grading_python": get("GradingKernelManager", "grading_python"),
    "sandbox": get("GradingKernelManager", "sandbox", "bwrap"),
    "kernel_modules": list(get("CheckedNotebookExporter", "probe_modules", [])),
    "bwrap": get("GradingKernelManager", "bwrap_path", "bwrap"), "modules": found, "said": said.getvalue()}))
"""


@dataclass
class Settings:
    """What nbgrader loads in the course root, as the Python that runs it sees it."""

    python: str
    files: list = field(default_factory=list)
    root: str = ""
    course_id: str = ""
    groupshared: bool = False
    db_url: str = ""  # nbgrader's gradebook (its password, if the URL has one, is never printed)
    exchange: str = NBGRADER_DEFAULT_EXCHANGE
    refused: str = None
    grading_python: str = None
    kernel_modules: list = field(default_factory=list)  # what a graded kernel imports (PRELOAD_MODULES)
    sandbox: str = "bwrap"
    bwrap: str = "bwrap"
    modules: dict = field(default_factory=dict)
    said: str = ""
    failure: str = ""  # the probe itself failed (no nbgrader in that Python...)


def load_settings(root, python=sys.executable, timeout=300):
    """Load nbgrader's configuration in ``root`` with ``python`` (a fresh process, as ``nbgrader`` does)."""
    try:
        result = subprocess.run([python, "-c", CONFIG_PROBE], cwd=root, capture_output=True, text=True,
                                timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as problem:
        return Settings(python, failure=f"{type(problem).__name__}: {problem}")
    try:
        return Settings(**json.loads(result.stdout.strip().splitlines()[-1]))
    except (ValueError, IndexError, TypeError):
        return Settings(python, failure=(result.stderr or result.stdout).strip()[-2000:] or "no output")


# --- permissions ---------------------------------------------------------------------------------------


def _exposure_findings(path, what, groupshared, group):
    """Findings for one entry of the course folder (recursive)."""
    found = permissions.exposure(path, groupshared)
    fix = permissions.fix_command(path, groupshared, group)
    findings = []
    if found.writable:
        findings.append(error("permissions", f"{path} ({what}): {_some(found.writable)} writable by others, e.g. "
                              f"{_with_mode(found.writable[0])}: a student could change them", fix))
    if found.readable:
        findings.append(warning("permissions", f"{path} ({what}): {_some(found.readable)} readable by others, e.g. "
                                f"{_with_mode(found.readable[0])}", fix))
    if found.group and not found.readable:
        findings.append(warning("permissions", f"{path} ({what}): {_some(found.group)} open to its group, e.g. "
                                f"{_with_mode(found.group[0])}, but the course is not group-shared "
                                "(course_config.GROUPSHARED = False)", fix))
    return findings


def _some(entries):
    return f"{len(entries)} entr{'ies are' if len(entries) > 1 else 'y is'}"


def _with_mode(path):
    return f"{path} (mode {stat.S_IMODE(os.lstat(path).st_mode):o})"


def check_course_folder(root, groupshared):
    """The course folder itself: others must not list nor enter it."""
    status = os.stat(root)
    group = permissions.group_name(root)
    if status.st_mode & stat.S_IRWXO or (not groupshared and status.st_mode & stat.S_IRWXG
                                         and not permissions.private_group(status)):
        level = error if status.st_mode & stat.S_IWOTH else warning
        who = "others" if status.st_mode & stat.S_IRWXO else "its group"
        return [level("permissions", f"The course folder {root} is open to {who} (mode "
                      f"{stat.S_IMODE(status.st_mode):o}): it holds the solutions, every student's work and grades",
                      permissions.fix_command(root, groupshared, group))]
    return []


def check_private_entries(root, groupshared):
    """Each entry of :data:`PRIVATE_ENTRIES`, recursively: nothing others may read or write."""
    group = permissions.group_name(root)
    findings = []
    for name, what in PRIVATE_ENTRIES.items():
        path = Path(root) / name
        if path.exists():
            findings += _exposure_findings(path, what, groupshared, group)
    return findings


def check_student_homes(root):
    """The homes of the course's students (those in submitted/): a fetched assignment, its answers and the
    fetched feedback live there, so others must not read them (Debian's useradd makes homes 0755 by default)."""
    import pwd

    open_homes = []
    for folder in sorted((Path(root) / "submitted").glob("*")) if os.access(Path(root) / "submitted", os.R_OK) else []:
        try:
            home = Path(pwd.getpwnam(folder.name).pw_dir)
        except KeyError:  # a student id that is not a user of this machine
            continue
        if home.is_dir() and home.stat().st_mode & (stat.S_IROTH | stat.S_IXOTH):
            open_homes.append(str(home))
    if not open_homes:
        return []
    return [warning("permissions", f"{_some(open_homes)} readable by others among the students' homes, e.g. "
                    f"{_with_mode(open_homes[0])}: their answers and feedback are readable by other students",
                    f"chmod 700 {' '.join(open_homes)}   (as root; for new users: HOME_MODE 0700 in "
                    "/etc/login.defs)")]


# --- the exchange ----------------------------------------------------------------------------------------


def check_exchange(settings):
    """nbgrader's exchange: it exists, everyone may write into it (1777), the course's folders keep their modes."""
    root = Path(settings.exchange)
    if not root.is_dir():
        where = " (nbgrader's default: set c.Exchange.root in the global nbgrader_config.py)" \
            if settings.exchange == NBGRADER_DEFAULT_EXCHANGE else ""
        return [error("exchange", f"The exchange {root} does not exist{where}; students can neither fetch nor submit",
                      f"install -d -m 1777 {root}   (as root)")]
    mode = stat.S_IMODE(root.stat().st_mode)
    findings = []
    if mode & 0o777 != 0o777:
        findings.append(error("exchange", f"The exchange {root} has mode {mode:o}; nbgrader requires every user "
                              "to write into it (1777)", f"chmod 1777 {root}   (as root)"))
    elif not mode & stat.S_ISVTX:
        findings.append(warning("exchange", f"The exchange {root} has mode {mode:o}, without the sticky bit: a "
                                "user may remove another's folder", f"chmod 1777 {root}   (as root)"))
    return findings + _course_in_exchange(root / settings.course_id, settings) if settings.course_id else findings


def _course_in_exchange(course, settings):
    if not course.is_dir():
        return [note("exchange", f"{course} does not exist yet: `nbgrader release_assignment ASSIGNMENT` "
                     "creates it")]
    findings = []
    # inbound: students write their hand-ins there, unseen by the others (hand-ins are 777 inside it).
    # feedback: each student opens their file by its secret name; listing it would show every name.
    for name, others_may in (("inbound", stat.S_IWOTH | stat.S_IXOTH), ("feedback", stat.S_IXOTH)):
        folder = course / name
        if folder.is_dir() and folder.stat().st_mode & stat.S_IROTH:
            wanted = "2733" if name == "inbound" else "711"
            if settings.groupshared:
                wanted = "2773" if name == "inbound" else "2771"
            findings.append(error("exchange", f"Others may list {folder} (mode "
                                  f"{stat.S_IMODE(folder.stat().st_mode):o}): every student sees every "
                                  f"{'hand-in (and may rename it)' if name == 'inbound' else 'feedback file name'}",
                                  f"chmod {wanted} {folder}   (as its owner)"))
        elif folder.is_dir() and folder.stat().st_mode & others_may != others_may:
            findings.append(error("exchange", f"Students cannot {'submit into' if name == 'inbound' else 'fetch from'}"
                                  f" {folder} (mode {stat.S_IMODE(folder.stat().st_mode):o})",
                                  f"chmod o+{'wx' if name == 'inbound' else 'x'} {folder}   (as its owner)"))
    return findings


# --- environments ------------------------------------------------------------------------------------------


def check_grading_python(python, root, kernel_modules=()):
    """The Python that runs the students' kernels and the judge exists and imports what grading needs: what a
    graded kernel loads, and nbgrader."""
    modules = ", ".join(dict.fromkeys(("nbgrader", "handover", *kernel_modules)))
    if not python:
        return [error("environment", "The course configuration names no grading Python",
                      "run from the course root, where nbgrader_config.py applies course_config.py")]
    if not os.access(python, os.X_OK):
        return check_grading_python_runs(python, root)
    try:
        result = subprocess.run([python, "-c", f"import {modules}"], cwd=root,
                                capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as problem:
        return [error("environment", f"The grading Python {python} could not run: {problem}",
                      grading_python_fix(root))]
    if result.returncode:
        said = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return [error("environment", f"The grading Python {python} cannot import {modules}: "
                      f"{said}", grading_python_fix(root))]
    return []


def check_grading_python_runs(python, root):
    """The grading Python exists and this user may run it (cheap: grading checks it before any student)."""
    if not python or os.access(python, os.X_OK):
        return []
    return [error("environment", f"The grading Python {python} does not exist (or cannot be run by this user): "
                  "the course environment was not found", grading_python_fix(root))]


def grading_python_fix(root):
    return (f"set GRADING_PYTHON in {Path(root) / 'course_config.py'} to the course environment's Python (on a "
            "hub installed by deploy/install.sh: /opt/cnn-course/bin/python), or run `make setup` in the course "
            "root to build its .venv")


def check_nbgrader_python(settings):
    """The Python that runs nbgrader and the formgrader applies the course's configuration."""
    if settings.failure:
        return [error("environment", f"{settings.python} cannot load nbgrader's configuration in the course "
                      f"root: {settings.failure}", "run nbgrader and the formgrader from the course environment "
                      "(its bin/nbgrader, bin/jupyterhub-singleuser)")]
    if settings.refused:
        return [error("configuration", settings.refused.split("\n")[0],
                      "start the instructor's Jupyter server (the formgrader) and nbgrader from the course "
                      "environment, or `pip install <course repository>` into " + settings.python)]
    missing = [name for name in ("course", "course_config") if not settings.modules.get(name)]
    if missing:
        return [error("environment", f"{settings.python} cannot import {' and '.join(missing)} from the course "
                      "root", f"pip install <course repository> into the environment of {settings.python}")]
    return []


def check_graders(python, root):
    """graders (the references) is readable by this user, as the grading Python finds it."""
    from course.grading.locate import package_dir
    from course.grading.setup_check import GradingSetupError

    try:
        folder = package_dir("graders", python, str(root))
    except GradingSetupError as problem:
        return [error("environment", str(problem).split("\n\n")[1] if "\n\n" in str(problem) else str(problem),
                      "add this user to the instructors' group that may read graders (deploy/install.sh: "
                      "INSTRUCTORS_GROUP), then log in again")]
    unreadable = [p for p in Path(folder).glob("*.py") if not os.access(p, os.R_OK)]
    if unreadable:
        return [error("environment", f"This user cannot read {unreadable[0]} (graders, the references)",
                      "add this user to the instructors' group that may read graders (deploy/install.sh: "
                      "INSTRUCTORS_GROUP), then log in again")]
    return []


def check_user_namespaces(settings):
    """The sandbox can start here: bwrap, run for real, creates its namespaces."""
    if settings.sandbox == "none":
        return [warning("sandbox", "SANDBOX = 'none' in course_config.py: students' code runs as you, unisolated "
                        "(only for trusted notebooks)", "SANDBOX = 'bwrap' in course_config.py")]
    failure = userns.bwrap_failure(settings.bwrap)
    if failure is None:
        return []
    what, fix = userns.diagnose(failure, settings.bwrap)
    return [error("sandbox", what, fix)]


def check_weights():
    """The torch cache the grading sandbox binds (TORCH_HOME) is readable and its weight files verify."""
    from course.grading.sandbox import torch_home

    home = Path(torch_home())
    if os.environ.get("TORCH_HOME") and not home.is_dir():
        return [warning("weights", f"TORCH_HOME={home} does not exist: the notebooks use random weights",
                        f"course weights install --shared {home} FILE...   (as root), or unset TORCH_HOME")]
    if home.is_dir() and not os.access(home, os.R_OK | os.X_OK):
        return [error("weights", f"This user cannot read the torch cache {home}", f"chmod -R a+rX {home}   (as its "
                      "owner)")]
    from course import weights

    try:
        statuses = weights.status(weights.cache_dir())
    except OSError as problem:
        return [error("weights", f"The weights in {home} cannot be read: {problem}", f"chmod -R a+rX {home}")]
    findings = [error("weights", f"{s.path} does not match the hash in its name", f"rm {s.path}, then "
                      "course weights install FILE with a good copy") for s in statuses if s.present and not s.valid]
    missing = [s.name for s in statuses if not s.present]
    if missing:
        findings.append(note("weights", f"Not in {home}: {', '.join(missing)} (the notebooks use random weights)",
                             "course weights install FILE..."))
    return findings


def check_configuration(settings, root):
    """What nbgrader loads: the course root's configuration, the course id, the course folder."""
    import course_config  # the course root's (course/__main__.py puts it first), as nbgrader_config.py imports it

    findings = [note("configuration", f"nbgrader ({settings.python}) loads "
                     + (", ".join(settings.files) or "no configuration file")
                     + f": course_id {settings.course_id!r}, exchange {settings.exchange}, course root "
                     f"{settings.root}, group-shared {'yes' if settings.groupshared else 'no'}")]
    if not any(Path(f).resolve() == Path(root).resolve() / "nbgrader_config.py" for f in settings.files):
        findings.append(error("configuration", f"nbgrader does not load {Path(root) / 'nbgrader_config.py'}",
                              "run nbgrader from the course root, which holds nbgrader_config.py"))
    if not settings.course_id:
        findings.append(error("configuration", "No course_id: nbgrader cannot use the exchange",
                              "set c.CourseDirectory.course_id in the global nbgrader_config.py"))
    elif settings.course_id != course_config.COURSE_ID:
        findings.append(warning("configuration", f"nbgrader's course_id is {settings.course_id!r}, course_config's "
                                f"COURSE_ID {course_config.COURSE_ID!r}", "make them the same"))
    if settings.root and Path(settings.root).resolve() != Path(root).resolve():
        findings.append(warning("configuration", f"nbgrader's course root is {settings.root}, not {root}",
                                "CourseDirectory.root must be the course folder"))
    return findings


def check_gradebook(settings, root):
    """Where the grades are. A SQLite gradebook is gradebook.db in the course folder, whose modes
    :func:`check_private_entries` checks. A PostgreSQL one has no file to check: who reads it is the server's
    business (roles and grants), so this checks that the server answers with the course's credentials, that the
    password is in none of the course's files, that ~/.pgpass is private (libpq ignores it otherwise), and that no
    table of the gradebook is granted to every role of the server (PUBLIC)."""
    from course.grading.gradebook import GUIDE, require_gradebook, shown, sqlite_path
    from course.grading.setup_check import GradingSetupError

    url = settings.db_url
    if not url or sqlite_path(url) is not None:
        return []
    findings = [note("gradebook", f"The gradebook is on a server: {shown(url)}. Its file modes are not checked "
                     "(there is no file); checked instead: the server answers with these credentials, the password "
                     "is not in course_config.py, ~/.pgpass is private, no gradebook table is granted to PUBLIC")]
    pgpass = Path(os.environ.get("PGPASSFILE") or Path.home() / ".pgpass")
    mode = stat.S_IMODE(pgpass.stat().st_mode) if pgpass.is_file() else 0
    if mode & 0o077:
        findings.append(error("gradebook", f"{pgpass} is open to others (mode {mode:o}): it holds the gradebook's "
                              "password, and libpq ignores it", f"chmod 600 {pgpass}"))
    try:
        require_gradebook(url, consequence="")
    except GradingSetupError as problem:
        return findings + [error("gradebook", str(problem).strip(), f"see {GUIDE}")]
    public = _tables_granted_to_public(url)
    if public:
        findings.append(error("gradebook", f"Every role of the server may read {len(public)} gradebook table(s), "
                              f"e.g. {public[0]}: they hold every student's grades",
                              "as their owner: REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;"))
    return findings


def _tables_granted_to_public(url):
    from sqlalchemy import text

    from course.grading.gradebook import engine_for

    engine = engine_for(url)
    try:
        with engine.connect() as connection:
            return sorted(connection.execute(text(
                "SELECT DISTINCT c.relname FROM pg_class c, aclexplode(c.relacl) a "
                "WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace AND a.grantee = 0")).scalars())
    finally:
        engine.dispose()


# --- the runs ------------------------------------------------------------------------------------------------


def doctor(root, python=sys.executable):
    """Every check; the list of findings."""
    root = Path(root).resolve()
    settings = load_settings(root, python)
    findings = check_nbgrader_python(settings)
    applied = not (settings.failure or settings.refused)
    if applied:  # the course's configuration loaded: what it says can be checked
        findings += check_configuration(settings, root) + check_gradebook(settings, root)
    findings += check_course_folder(root, settings.groupshared) + check_private_entries(root, settings.groupshared)
    findings += check_student_homes(root) + check_exchange(settings) + check_user_namespaces(settings)
    if applied:
        findings += check_grading_python(settings.grading_python, root, settings.kernel_modules)
        if not any(f.check == "environment" and f.level == "error" for f in findings):
            findings += check_graders(settings.grading_python, root)
        findings += check_weights()  # (course.weights reads course_config)
    return findings


def grading_findings(root, config):
    """The cheap checks grading runs first, from the configuration it loaded: the sandbox can start, the
    grading Python exists, nothing in the course folder is writable by others (errors); what others may read
    (warnings)."""
    settings = Settings(python=sys.executable, sandbox=config.GradingKernelManager.get("sandbox", "bwrap"),
                        bwrap=config.GradingKernelManager.get("bwrap_path", "bwrap"))
    groupshared = bool(config.CourseDirectory.get("groupshared", False))
    findings = check_user_namespaces(settings)
    findings += check_grading_python_runs(config.GradingKernelManager.get("grading_python"), root)
    findings += check_course_folder(root, groupshared) + check_private_entries(root, groupshared)
    return [f for f in findings if f.is_problem]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="course doctor", description=__doc__.splitlines()[0].split(": ", 1)[1])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the course root (default: here)")
    parser.add_argument("--python", default=sys.executable,
                        help="the Python that runs nbgrader and the formgrader (default: this one)")
    args = parser.parse_args(argv)
    findings = doctor(args.root, args.python)
    problems = [f for f in findings if f.is_problem]
    print(f"course doctor: {args.root.resolve()}")
    if findings:
        print(report(findings))
    counts = {level: sum(f.level == level for f in problems) for level in ("error", "warning")}
    print(f"{counts['error']} error(s), {counts['warning']} warning(s)" if problems else "No problem found.")
    return 1 if problems else 0
