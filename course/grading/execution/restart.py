"""A fresh kernel in the state the completed cells left: restart, then replay them silently."""
import asyncio
from queue import Empty

from nbclient.util import ensure_async

from .channels import drain_iopub, reply_within
from .errors import KernelGone


class KernelRestart:
    """Remembers the code cells that ran to completion; after a kernel that stopped answering, restarts it and
    runs them again, their outputs discarded. (A timed-out cell is never replayed: it would time out again.)

    ``client`` is the notebook client (its ``km``, ``kc``, ``timeout``, ``iopub_timeout`` and kernel-starting
    methods); ``budget`` the notebook's :class:`~.budget.NotebookBudget`, which replays spend too.
    """

    def __init__(self, client, budget):
        self.client = client
        self.budget = budget
        self.sources = []

    def completed(self, source):
        self.sources.append(source)

    async def kill(self):
        try:
            await ensure_async(self.client.km.shutdown_kernel(now=True))
        except Exception:
            self.client.log.warning("Could not kill the kernel", exc_info=True)

    async def restart_and_replay(self):
        """True when a fresh kernel has replayed every completed cell in time."""
        return await self._restart() and await self._replay()

    async def _restart(self):
        client, log = self.client, self.client.log
        try:
            await ensure_async(client.kc.stop_channels())
        except Exception:
            log.debug("Could not stop the old kernel client", exc_info=True)
        try:
            try:
                await ensure_async(client.km.restart_kernel(now=True))
            except Exception:
                log.warning("restart_kernel failed; shutting down and starting a kernel", exc_info=True)
                await self.kill()
                await client.async_start_new_kernel()
            await client.async_start_new_kernel_client()
        except Exception:
            log.error("Could not restart the kernel", exc_info=True)
            return False
        return True

    async def _replay(self):
        timeout = self.client.timeout if self.client.timeout and self.client.timeout > 0 else None
        for source in self.sources:
            wait = self.budget.left_for(timeout)
            if wait == 0 or not await self._run_silently(source, wait):
                return False
        return True

    async def _run_silently(self, source, timeout):
        """Run code in the kernel, discarding its outputs: True if it completed (even with an error)."""
        kc = self.client.kc
        msg_id = await ensure_async(kc.execute(source, store_history=True, allow_stdin=False, stop_on_error=False))
        drain = asyncio.ensure_future(drain_iopub(kc, msg_id))
        try:
            reply = await reply_within(kc, msg_id, timeout if timeout is not None else float("inf"))
        except KernelGone:
            reply = None
        if reply is None:
            drain.cancel()
            self.client.log.warning("A replayed cell did not complete in time")
            return False
        try:
            await asyncio.wait_for(drain, self.client.iopub_timeout)
        except (asyncio.TimeoutError, Empty):
            pass
        return True
