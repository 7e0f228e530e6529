"""Waiting for the kernel's answers on its channels, within a time, without nbclient's own loops."""
import asyncio
from queue import Empty
from time import monotonic

from nbclient.exceptions import DeadKernelError
from nbclient.util import ensure_async

from .errors import KernelGone


async def reply_within(kc, msg_id, timeout):
    """The kernel's reply to ``msg_id`` if it comes within ``timeout`` seconds, else None (KernelGone if it died)."""
    deadline = monotonic() + timeout
    while True:
        remaining = deadline - monotonic()
        if remaining <= 0:
            return None
        try:
            msg = await ensure_async(kc.shell_channel.get_msg(timeout=min(remaining, 0.5)))
        except Empty:
            if not await ensure_async(kc.is_alive()):
                raise KernelGone from None
            continue
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


async def check_alive(kc, log):
    """DeadKernelError if the kernel died (as nbclient's own check: nbclient turns it into a dead kernel)."""
    if not await ensure_async(kc.is_alive()):
        log.error("Kernel died while waiting for execute reply.")
        raise DeadKernelError("Kernel died")


async def collect_outputs(task_poll_output_msg, iopub_timeout, log):
    """Wait for the outputs of a cell that has replied; keep what came if they are slow."""
    try:
        await asyncio.wait_for(task_poll_output_msg, iopub_timeout)
    except (asyncio.TimeoutError, Empty):
        log.warning("Timeout waiting for IOPub output; the cell keeps the outputs received so far")


async def drain_iopub(kc, msg_id):
    """Read (and drop) the outputs of ``msg_id`` until the kernel is idle again."""
    while True:
        msg = await ensure_async(kc.iopub_channel.get_msg(timeout=None))
        if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status"
                and msg["content"].get("execution_state") == "idle"):
            return
