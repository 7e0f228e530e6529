"""nbgrader's OverwriteKernelspec, which also says when it replaced the submission's kernelspec."""
from nbgrader.preprocessors import OverwriteKernelspec

from .. import incidents


class ReportKernelspec(OverwriteKernelspec):
    """Use the course's kernel whatever the notebook names, and record it when they differ."""

    def preprocess(self, nb, resources):
        submitted = (nb.metadata.get("kernelspec") or {}).get("name")
        nb, resources = super().preprocess(nb, resources)
        expected = (nb.metadata.get("kernelspec") or {}).get("name")
        if submitted != expected:
            incidents.record(
                nb, "unknown_kernelspec",
                f"the notebook asked for kernel {submitted!r}; graded with the course's {expected!r}",
                "Votre notebook demandait un autre noyau que celui du cours "
                f"(« {submitted} ») : il a été exécuté avec le noyau du cours.")
        return nb, resources
