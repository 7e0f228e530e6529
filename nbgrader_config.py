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
    message = (f"The course configuration (course_config.py in {HERE}) could not be applied in this Python "
               f"({sys.executable}): {type(error).__name__}: {error}\nnbgrader refuses to release, collect, grade "
               "or give feedback with its default settings (no sandbox, no judge, hidden tests shown). To fix: run "
               "nbgrader (or the Jupyter server of the formgrader) from the course's environment "
               "(`.venv/bin/nbgrader ...`), or `pip install -e <course repository>` into this one.")
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
