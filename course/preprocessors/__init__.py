"""nbgrader preprocessors of the course, one transformation per class."""
from .survive_kernel_death import SurviveKernelDeath

__all__ = ["SurviveKernelDeath"]
