# Two commands do everything: `make demo` and `make test`. Each creates .venv and installs what it needs
# (the stamp file makes that a no-op until pyproject.toml changes; pip's wheel cache keeps the llama.cpp
# build to one compile per machine).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
DEMO_OUT ?= outputs/demo

.PHONY: install demo test lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip wheel

$(STAMP): pyproject.toml | $(PY)
	@echo "Installing simsocial and its dependencies into $(VENV) (first time: llama.cpp compiles, ~5 min)..."
	$(PY) -m pip install --quiet -e '.[local,ray,dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

demo: install
	$(VENV)/bin/simsocial run scenarios/persuasion_for_good.yaml --dialogues 5 --turns 2 \
		--method direct --method vs_standard --seed 7 --out $(DEMO_OUT)

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -ra

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

bench: install
	for b in llm_overhead concurrency engine_speed embedded_share memory; do $(PY) benchmarks/$$b.py || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
