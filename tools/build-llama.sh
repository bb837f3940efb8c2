#!/usr/bin/env bash
# Build llama.cpp once per machine for a portable x86-64 baseline and install it into a venv.
#
# Why this exists: pip's wheel cache keys a source build by name and version only, never by CMAKE_ARGS
# or by the CPU it was compiled on. A wheel built with -march=native on one machine (say with AMX
# enabled in cpuinfo but refused by the hypervisor) is then reinstalled everywhere and dies with
# SIGILL. So the build lands in a wheelhouse whose directory name carries the version, the flag set
# and a hash of everything that changes the binary (flags, compiler, architecture; for `native`, the
# CPU's own flags too), and pip is never allowed to reuse a wheel of its own.
#
# Two artefacts, both from the same llama.cpp source (the llama-cpp-python sdist vendors it):
#   wheels/llama_cpp_python-*.whl  the Python binding (its server is the pre-#8 baseline, benchmarks)
#   bin/llama-server               llama.cpp's own server: parallel slots, continuous batching,
#                                  per-slot prompt cache; what `simsocial` starts as the embedded model
#
# usage: tools/build-llama.sh VENV [portable|native]
set -euo pipefail

VENV=${1:?usage: build-llama.sh VENV [portable|native]}
FLAVOUR=${2:-portable}
VERSION=${LLAMA_CPP_PYTHON_VERSION:-0.3.36}
PY="$VENV/bin/python"
JOBS=${LLAMA_BUILD_JOBS:-$(nproc)}

case "$FLAVOUR" in
  portable)
    # x86-64-v3 (AVX2/FMA/F16C/BMI2); AVX-512 and AMX stay off because a kernel or hypervisor
    # may advertise them in cpuinfo and still refuse them (SIGILL on `tileloadd`).
    FLAGS="-DGGML_NATIVE=OFF -DGGML_CPU_ALL_VARIANTS=OFF -DGGML_BACKEND_DL=OFF -DGGML_SSE42=ON -DGGML_AVX=ON"
    FLAGS="$FLAGS -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_AVX_VNNI=OFF"
    FLAGS="$FLAGS -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF"
    FLAGS="$FLAGS -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
    CPU_KEY=""
    ;;
  native)
    # Opt-in speed: compiled for this CPU only, so the key includes this CPU's flags and a native
    # build is never picked up on another machine.
    FLAGS="-DGGML_NATIVE=ON"
    CPU_KEY=$(grep -m1 '^flags' /proc/cpuinfo || true)
    ;;
  *) echo "build-llama.sh: unknown flavour '$FLAVOUR' (portable|native)" >&2; exit 2 ;;
esac
FLAGS="$FLAGS -DLLAMA_CURL=OFF -DCMAKE_BUILD_TYPE=Release"

KEY=$(printf '%s\n' "$VERSION" "$FLAGS" "$(uname -m)" "$(cc --version | head -1)" "$CPU_KEY" | sha1sum | cut -c1-12)
CACHE_ROOT=${SIMSOCIAL_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/simsocial}
HOUSE="$CACHE_ROOT/llama-cpp-$VERSION-$FLAVOUR-$KEY"
STAMP="$VENV/.llama-$VERSION-$FLAVOUR-$KEY"

if [[ -f "$STAMP" && -x "$VENV/bin/llama-server" ]]; then
  exit 0
fi

if [[ ! -f "$HOUSE/done" ]]; then
  echo "Building llama.cpp $VERSION ($FLAVOUR, key $KEY) into $HOUSE (once per machine, ~10 min on 2 cores)..."
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
  mkdir -p "$HOUSE/wheels" "$HOUSE/bin"
  "$PY" -m pip download --quiet --no-deps --no-binary :all: "llama-cpp-python==$VERSION" -d "$WORK/sdist"
  tar -xzf "$WORK"/sdist/llama_cpp_python-*.tar.gz -C "$WORK"
  SRC=$(echo "$WORK"/llama_cpp_python-*/)

  # The binding: --no-cache-dir so pip neither reads nor writes its flag-blind wheel cache.
  CMAKE_ARGS="$FLAGS" CMAKE_BUILD_PARALLEL_LEVEL="$JOBS" \
    "$PY" -m pip wheel --quiet --no-deps --no-cache-dir "$SRC" -w "$HOUSE/wheels"

  # The server: statically linked, so the binary carries exactly these flags and no shared ggml.
  cmake -S "$SRC/vendor/llama.cpp" -B "$WORK/server-build" $FLAGS -DBUILD_SHARED_LIBS=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON > "$WORK/cmake.log"
  cmake --build "$WORK/server-build" --target llama-server -j "$JOBS" > "$WORK/build.log" \
    || { tail -40 "$WORK/build.log" >&2; exit 1; }
  cp "$WORK/server-build/bin/llama-server" "$HOUSE/bin/llama-server"
  printf '%s\n' "version=$VERSION" "flavour=$FLAVOUR" "flags=$FLAGS" "key=$KEY" > "$HOUSE/build-info.txt"
  touch "$HOUSE/done"
fi

"$PY" -m pip install --quiet --no-deps --no-index --force-reinstall "$HOUSE"/wheels/llama_cpp_python-*.whl
cp "$HOUSE/bin/llama-server" "$VENV/bin/llama-server"
cp "$HOUSE/build-info.txt" "$VENV/llama-build-info.txt"
rm -f "$VENV"/.llama-*
touch "$STAMP"
echo "llama.cpp $VERSION ($FLAVOUR) installed from $HOUSE"
