# Two commands do everything: `make demo` and `make test`. Each creates .venv and installs what it needs
# (the stamp file makes that a no-op until pyproject.toml changes). llama.cpp is compiled once per machine
# by tools/build-llama.sh into a wheelhouse whose name carries its build flags (never pip's flag-blind
# wheel cache): LLAMA=portable (default, x86-64 with AVX2, no AVX-512/AMX) or LLAMA=native (this CPU only).
PYTHON ?= python3
LLAMA ?= portable
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
DEMO_OUT ?= outputs/demo

.PHONY: install demo test lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip wheel

$(STAMP): pyproject.toml tools/build-llama.sh | $(PY)
	@echo "Installing simsocial and its dependencies into $(VENV) (first time: llama.cpp compiles, ~10 min)..."
	tools/build-llama.sh $(VENV) $(LLAMA)
	$(PY) -m pip install --quiet -e '.[local,ray,dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)
	@tools/build-llama.sh $(VENV) $(LLAMA)

demo: install
	$(VENV)/bin/simsocial run scenarios/persuasion_for_good.yaml --dialogues 5 --turns 2 \
		--method direct --method vs_standard --seed 7 --out $(DEMO_OUT)

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -ra

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

bench: install
	for b in llm_overhead concurrency engine_speed embedded_throughput memory; do $(PY) benchmarks/$$b.py || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
