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

.PHONY: install browser demo test lint bench mutate clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip wheel

$(STAMP): pyproject.toml tools/build-llama.sh | $(PY)
	@echo "Installing simsocial and its dependencies into $(VENV) (first time: llama.cpp compiles, ~10 min)..."
	tools/build-llama.sh $(VENV) $(LLAMA)
	$(PY) -m pip install --quiet -e '.[local,ray,viz,dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)
	@tools/build-llama.sh $(VENV) $(LLAMA)
	@$(PY) tools/nltk_cmudict.py

demo: install
	$(VENV)/bin/simsocial run scenarios/persuasion_for_good.yaml --dialogues 5 --turns 2 \
		--method direct --method vs_standard --seed 7 --out $(DEMO_OUT)

# The page tests (report, live view) drive Debian's chromium headless; install it when it is missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { echo "Installing Debian's chromium for the page tests..."; \
		(apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "warning: could not install chromium"; }

test: install browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -ra

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

# Mutation testing (not part of `make test`; minutes): mutmut mutates the modules listed under [tool.mutmut] in
# pyproject.toml and runs only their fast unit tests against each mutant, then prints the kill rate.
mutate: install
	rm -rf mutants
	nice -n 19 $(VENV)/bin/mutmut run --max-children 2
	$(VENV)/bin/mutmut export-cicd-stats
	$(PY) tools/mutation_score.py

bench: install
	for b in llm_overhead concurrency engine_speed embedded_throughput memory; do $(PY) benchmarks/$$b.py || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache mutants
