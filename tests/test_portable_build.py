"""The llama.cpp that `make` installs is the portable build: no AMX and no AVX-512 instructions anywhere.

A CPU may advertise AMX or AVX-512 in /proc/cpuinfo while its kernel or hypervisor refuses them; a binary
that contains them then dies of SIGILL on its first completion.  So the disassembly of every llama.cpp
binary and library that simsocial runs must contain none (AVX2 is the baseline and must be there).
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from guards import require, skip_or_fail

from simsocial.llm.embedded import find_server_binary

require(shutil.which("objdump") is not None, "objdump (binutils) not installed")


def _build_info() -> dict[str, str]:
    path = Path(sys.executable).parent.parent / "llama-build-info.txt"
    if not path.is_file():
        skip_or_fail("llama.cpp was not installed by tools/build-llama.sh")
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def _binaries() -> list[Path]:
    spec = importlib.util.find_spec("llama_cpp")
    assert spec is not None and spec.origin is not None
    libs = sorted((Path(spec.origin).parent / "lib").glob("libggml-cpu.so*"))
    return [find_server_binary(), *libs[:1]]


@pytest.mark.parametrize("binary", _binaries(), ids=lambda p: p.name)
def test_no_amx_or_avx512_instructions(binary: Path) -> None:
    info = _build_info()
    if info.get("flavour") != "portable":
        pytest.skip(f"a {info.get('flavour')} build is meant for this CPU only")
    asm = subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(binary)], capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    assert asm.count("tileloadd") == 0 and asm.count("tdpbssd") == 0, "AMX instructions in a portable build"
    assert "%zmm" not in asm, "AVX-512 registers in a portable build"
    assert "%ymm" in asm, "the AVX2 baseline is missing"
    assert "GGML_NATIVE=OFF" in info["flags"]
