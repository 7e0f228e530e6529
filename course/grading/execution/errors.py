"""One exception per way a running cell ends early (as nbclient has ``CellTimeoutError``, ``DeadKernelError``)."""


class CellStopped(Exception):
    """The running cell was stopped and marked: nbclient must not process it any further."""


class KernelGone(Exception):
    """The kernel died while we were waiting for its answer."""
