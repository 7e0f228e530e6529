#!/bin/sh
# Install or update the course's shared environment on a machine (a JupyterHub host). Run as root.
#
# One environment serves everyone: students' and the instructor's Jupyter servers and kernels, the
# formgrader and grading. It is built from the system Python (a Python under /root cannot be run by
# others), owned by root and read-only for everyone else. Run again after `git pull` to update.
# Every setting has a default and can be given in the environment (docs/hub.md):
#   COURSE_ENV         the environment                         (/opt/cnn-course)
#   EXCHANGE_ROOT      nbgrader's exchange                      (/srv/nbgrader/exchange)
#   WEIGHTS_DIR        the shared, read-only torch cache        (/opt/cnn-course-weights)
#   INSTRUCTORS_GROUP  who may read graders (the references)    (cnn-instructors)
#   SYSTEM_PYTHON      the Python the environment is built from (/usr/bin/python3)
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
COURSE_ENV=${COURSE_ENV:-/opt/cnn-course}
EXCHANGE_ROOT=${EXCHANGE_ROOT:-/srv/nbgrader/exchange}
WEIGHTS_DIR=${WEIGHTS_DIR:-/opt/cnn-course-weights}
INSTRUCTORS_GROUP=${INSTRUCTORS_GROUP:-cnn-instructors}
SYSTEM_PYTHON=${SYSTEM_PYTHON:-/usr/bin/python3}
umask 022

[ "$(id -u)" = 0 ] || { echo "deploy/install.sh: run it as root (it installs for every user)" >&2; exit 1; }
getent group "$INSTRUCTORS_GROUP" >/dev/null || groupadd "$INSTRUCTORS_GROUP"

# The environment, then the course's own package (always reinstalled, so an update takes effect), built from
# a clean copy of its sources: nothing is written into the repository, no stale build/ is packaged.
BUILD=$(mktemp -d)
trap 'rm -rf "$BUILD"' EXIT
cp -R "$SRC/pyproject.toml" "$SRC/course_config.py" "$SRC/course" "$SRC/graders" "$SRC/handover" "$BUILD/"
[ -x "$COURSE_ENV/bin/python" ] || "$SYSTEM_PYTHON" -m venv "$COURSE_ENV"
"$COURSE_ENV/bin/pip" install --quiet "$BUILD[hub]"
"$COURSE_ENV/bin/pip" install --quiet --no-deps --force-reinstall "$BUILD"
PY="$COURSE_ENV/bin/python"

# graders holds the references: instructors only (students' kernels and servers run this environment).
GRADERS=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/graders
chgrp -R "$INSTRUCTORS_GROUP" "$GRADERS"
chmod -R o-rwx "$GRADERS"

# nbgrader's settings for every user of this environment: the exchange and the course's id.
COURSE_ID=$(cd / && "$PY" -c 'import course_config; print(course_config.COURSE_ID)')
install -d "$COURSE_ENV/etc/jupyter"
sed -e "s|@EXCHANGE_ROOT@|$EXCHANGE_ROOT|" -e "s|@COURSE_ID@|$COURSE_ID|" \
    "$SRC/deploy/nbgrader_config.py" > "$COURSE_ENV/etc/jupyter/nbgrader_config.py"
# JupyterLab in French by default (each user may switch in Settings > Language), without the news feed
# (a request to the internet, and a prompt to every student).
install -D -m 644 "$SRC/deploy/overrides.json" "$COURSE_ENV/share/jupyter/lab/settings/overrides.json"
# Students' servers read this folder first (deploy/jupyterhub_config.py): no formgrader, no assignment creation.
rm -rf "$COURSE_ENV/etc/jupyter-students"
cp -R "$SRC/deploy/students" "$COURSE_ENV/etc/jupyter-students"
chmod -R a+rX,go-w "$COURSE_ENV/etc/jupyter-students"

# The exchange: everyone writes, nobody removes another's files (nbgrader's own requirement).
install -d -m 755 "$(dirname "$EXCHANGE_ROOT")"
install -d -m 1777 "$EXCHANGE_ROOT"
chmod 1777 "$EXCHANGE_ROOT"
# Pretrained weights: one read-only cache for everyone (course weights install --shared "$WEIGHTS_DIR").
install -d -m 755 "$WEIGHTS_DIR"
echo "Course environment ready: $COURSE_ENV (course id $COURSE_ID, exchange $EXCHANGE_ROOT, weights $WEIGHTS_DIR)"
