# JupyterHub's configuration for the course (docs/hub.md): `<env>/bin/jupyterhub -f deploy/jupyterhub_config.py`.
#
# The hub runs as root (it starts each user's server as that user). Settings come from the hub's environment
# (e.g. the `Environment=` lines of its systemd service), with the same names and defaults as deploy/install.sh:
#   COURSE_ENV          the course environment every server and kernel runs from   (/opt/cnn-course)
#   WEIGHTS_DIR         the shared, read-only torch cache: TORCH_HOME of everyone  (/opt/cnn-course-weights)
#   COURSE_INSTRUCTORS  who gets the formgrader, and in which course folder:
#                       "alice=/home/alice/cnn-course,bob=/srv/cnn-course"           (nobody)
#   HUB_STATE_DIR       the hub's database, cookie secret and proxy pid             (/srv/jupyterhub)
#   HUB_SITE_CONFIG     the site's own settings, read last: authenticator, spawner, addresses, TLS
#                                                                                   (/etc/cnn-course/jupyterhub_site.py)
# Without a site file: PAM logins (the machine's Unix accounts; the hub must run as root), one local process per
# user, on port 8000 of every interface.
import os
from pathlib import Path

c = get_config()  # noqa: F821 (traitlets)

COURSE_ENV = Path(os.environ.get("COURSE_ENV", "/opt/cnn-course"))
WEIGHTS_DIR = os.environ.get("WEIGHTS_DIR", "/opt/cnn-course-weights")
STATE_DIR = Path(os.environ.get("HUB_STATE_DIR", "/srv/jupyterhub"))
SITE_CONFIG = os.environ.get("HUB_SITE_CONFIG", "/etc/cnn-course/jupyterhub_site.py")
#: Students' servers read this folder first: it disables the formgrader and the assignment-creation tools
#: (nbgrader's documented per-user set-up, here without a per-user `jupyter ... disable`).
STUDENTS_JUPYTER_CONFIG = COURSE_ENV / "etc" / "jupyter-students"


def parse_instructors(text):
    """"alice=/home/alice/cnn-course,bob=/srv/course" -> {"alice": "/home/alice/cnn-course", ...}."""
    instructors = {}
    for entry in filter(None, (part.strip() for part in text.replace("\n", ",").split(","))):
        name, sep, folder = entry.partition("=")
        if not sep or not name.strip() or not os.path.isabs(folder.strip()):
            raise ValueError(f"COURSE_INSTRUCTORS: {entry!r} is not user=/absolute/course/folder")
        instructors[name.strip()] = folder.strip()
    return instructors


INSTRUCTORS = parse_instructors(os.environ.get("COURSE_INSTRUCTORS", ""))
if not (COURSE_ENV / "bin" / "jupyterhub-singleuser").exists():
    raise SystemExit(f"COURSE_ENV={COURSE_ENV} has no jupyterhub-singleuser: run deploy/install.sh first, "
                     "with the same COURSE_ENV (docs/hub.md)")

# The hub's own files, in one place.
STATE_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
c.JupyterHub.db_url = f"sqlite:///{STATE_DIR / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE_DIR / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = str(STATE_DIR / "jupyter-proxy.pid")

# Logins: the machine's accounts. Every account the authenticator accepts may log in (a student); restrict it
# in the site file (e.g. c.PAMAuthenticator.allowed_groups = {"students", "cnn-instructors"}).
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allow_all = True

# Each user's server: the course environment's, whatever the user's own PATH or Python. Only what is set here
# reaches it from the hub (no PYTHONPATH, no VIRTUAL_ENV of the hub's service).
c.JupyterHub.spawner_class = "localprocess"
SERVER = [str(COURSE_ENV / "bin" / "jupyterhub-singleuser")]
c.Spawner.cmd = SERVER
c.Spawner.default_url = "/lab"
c.Spawner.env_keep = ["LANG", "LC_ALL"]
c.Spawner.environment = {
    "PATH": os.pathsep.join([str(COURSE_ENV / "bin"), "/usr/local/bin", "/usr/bin", "/bin"]),
    "TORCH_HOME": WEIGHTS_DIR,  # the pretrained weights of course weights install --shared
    "LANG": os.environ.get("LANG", "C.UTF-8"),
}
# A busy machine takes a while to import a server with nbgrader's extensions.
c.Spawner.http_timeout = 120
c.Spawner.start_timeout = 180


def course_server(spawner):
    """An instructor's server is rooted in the course folder; a student's in their home, without the formgrader."""
    folder = INSTRUCTORS.get(spawner.user.name)
    if folder is not None:
        # nbgrader's formgrader requires the course folder inside the server's root ("The course directory root
        # is not a subdirectory of the notebook server root"); the folder's nbgrader_config.py then applies.
        spawner.notebook_dir = folder
        # ...and the formgrader reads the course's nbgrader_config.py from the server's working folder, not from
        # its root: started elsewhere (a spawner starts in the home folder) it would grade with nbgrader's
        # defaults. So the server starts in the course folder, and does not start if the folder is missing.
        spawner.cmd = ["/bin/sh", "-c", 'cd "$0" && exec "$@"', folder, *SERVER]  # (same at every start)
        return
    spawner.environment = {**spawner.environment, "JUPYTER_CONFIG_PATH": str(STUDENTS_JUPYTER_CONFIG)}


c.Spawner.pre_spawn_hook = course_server

if os.path.exists(SITE_CONFIG):
    load_subconfig(SITE_CONFIG)  # noqa: F821 (traitlets)
