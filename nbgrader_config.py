# nbgrader reads this file from the course root; the settings live in course_config.py.
#
# nbgrader catches any exception raised here, logs "Exception while loading config file" and goes on
# with its defaults: no sandbox, no judge, hidden tests in the feedback, solutions in the release. So a
# course configuration that cannot be applied (a module missing in the Python running nbgrader or the
# formgrader) must not raise: it configures every converter and exchange action of the instructor to
# refuse to start, with a message that names the fix, before they read or write anything.
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def refuse_everything(c, error):
    missing = f" (`{error.name}` is missing here)" if isinstance(error, ImportError) and error.name else ""
    message = (f"The course configuration (course_config.py in {HERE}) could not be applied in this Python "
               f"({sys.executable}): {type(error).__name__}: {error}\nnbgrader refuses to release, collect, grade "
               "or give feedback with its default settings (no sandbox, no judge, hidden tests shown). The Python "
               f"that runs nbgrader or the formgrader (the instructor's Jupyter server) must be the course "
               f"environment's{missing}. To fix: run nbgrader from the course's environment "
               "(`.venv/bin/nbgrader ...`, or the environment of deploy/install.sh: /opt/cnn-course/bin/nbgrader); on a "
               "JupyterHub, start the instructor's server from that environment (its bin/jupyterhub-singleuser); or "
               "`pip install -e <course repository>` into this Python. `course doctor --python "
               f"{sys.executable}` checks it.")
    print(f"ERROR: {message}", file=sys.stderr)
    c.CourseSetup.refused = message  # read by `course grade` (course/grading/runner.py: load_config)

    def refusing(base):
        def __init__(self, *args, **kwargs):
            raise RuntimeError(message)
        return type(f"Refused{base.__name__}", (base,), {"__init__": __init__})

    from nbconvert.exporters import Exporter
    from nbgrader.exchange.abc import ExchangeCollect, ExchangeReleaseAssignment, ExchangeReleaseFeedback

    # Named one by one too: a section set before the error (c.Autograde...) would win over BaseConverter's.
    for converter in ("BaseConverter", "GenerateAssignment", "Autograde", "GenerateFeedback"):
        c[converter].exporter_class = refusing(Exporter)
    c.ExchangeFactory.collect = refusing(ExchangeCollect)
    c.ExchangeFactory.release_assignment = refusing(ExchangeReleaseAssignment)
    c.ExchangeFactory.release_feedback = refusing(ExchangeReleaseFeedback)


try:
    sys.path.insert(0, str(HERE))
    from course_config import configure_nbgrader

    configure_nbgrader(get_config(), root=HERE)  # noqa: F821 (get_config: traitlets)
except (KeyboardInterrupt, SystemExit):
    raise
except BaseException as error:  # noqa: B036 (GradingSetupError is a BaseException on purpose)
    refuse_everything(get_config(), error)  # noqa: F821
