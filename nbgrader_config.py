# nbgrader reads this file from the course root; the settings live in course_config.py.
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from course_config import configure_nbgrader  # noqa: E402

configure_nbgrader(get_config(), root=Path(__file__).resolve().parent)  # noqa: F821 (get_config: traitlets)
