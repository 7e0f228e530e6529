"""Releases carry no authoring metadata: nothing in a student's notebook may write files beside it.

The source notebooks are paired with their MyST twin by jupytext (``metadata.jupytext.formats:
ipynb,md:myst``). nbgrader copies notebook metadata into the release, and jupytext, installed in the
students' JupyterLab, honours it: each save would write ``<a>.md`` beside the student's notebook.
"""
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import List, Unicode


class DropAuthoringMetadata(NbGraderPreprocessor):
    """Removes the notebook metadata of authoring tools (jupytext's pairing) from a generated release."""

    keys = List(Unicode(), default_value=["jupytext"],
                help="Notebook metadata keys removed from every release notebook.").tag(config=True)

    def preprocess(self, nb, resources):
        for key in self.keys:
            nb.metadata.pop(key, None)
        return nb, resources
