"""Executing a submission: one module per concern, composed by the nbgrader preprocessor
:class:`course.grading.preprocessors.ContainedExecute`.

- ``cells``: the French errors written into cells, and the cells left unrun (:class:`LaterCells`);
- ``errors``: one exception per way a running cell ends early;
- ``budget``: the notebook's wall-time budget (:class:`NotebookBudget`);
- ``timeouts``: a cell past its limit, interrupted or restarted (:class:`CellTimeout`, :class:`CellStopper`);
- ``restart``: a fresh kernel, the completed cells replayed silently (:class:`KernelRestart`);
- ``channels``: waiting for the kernel's answers within a time;
- ``outputs``: the per-cell output cap (:class:`OutputCap`);
- ``handovers``: a test cell's hand-overs to the judge, exempt from the cap within bounds (:class:`HandoverChannel`);
- ``kernel_death``: a dead kernel costs the cells after it, nothing more (:class:`KernelDeath`);
- ``private_api``: every override of a private part of nbclient or jupyter_client, with its reason.

Nothing here is imported by this ``__init__``: import the module you need.
"""
