"""The terminal client (`python -m atopos_client`) as a real process a test talks to."""

from __future__ import annotations

import asyncio
import os
import select
import sys
import time
from collections.abc import Callable

from tests.support.processes import ROOT, base_env


class Terminal:
    """One running `python -m atopos_client`; keeps every byte it printed."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.output = b""

    @classmethod
    async def start(cls, *arguments: str, **env: str) -> Terminal:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "atopos_client", *arguments,
            cwd=ROOT, env=base_env(**{"ATOPOS_LINK": "", **env}),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        return cls(process)

    @property
    def pid(self) -> int:
        return self.process.pid

    def lines(self) -> list[bytes]:
        return self.output.split(b"\n")

    async def wait_for(self, wanted: Callable[[bytes], bool], timeout: float = 15) -> bytes:
        """The first line (seen before or printed now) for which ``wanted`` is true."""
        assert self.process.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                for line in self.lines()[:-1]:
                    if wanted(line):
                        return line
                chunk = await self.process.stdout.readline()
                if not chunk:
                    raise AssertionError(f"the client exited; it printed {self.output!r}")
                self.output += chunk

    async def wait_for_text(self, text: str, timeout: float = 15) -> bytes:
        return await self.wait_for(lambda line: text.encode() in line, timeout)

    async def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        await self.process.stdin.drain()

    async def quit(self, timeout: float = 15) -> tuple[bytes, bytes]:
        """Type /quit; everything printed on stdout and stderr once it has exited."""
        await self.type("/quit")
        rest, errors = await asyncio.wait_for(self.process.communicate(), timeout)
        self.output += rest
        return self.output, errors

    def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()


def read_until(descriptor: int, wanted: bytes, timeout: float) -> bytes:
    """What the pseudo-terminal shows until ``wanted`` appears."""
    shown = b""
    deadline = time.monotonic() + timeout
    while wanted not in shown:
        ready, _, _ = select.select([descriptor], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise AssertionError(f"the terminal showed {shown!r}")
        shown += os.read(descriptor, 4096)
    return shown
