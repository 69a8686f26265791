# The two commands of the README's quick start:
#   make tour   -- set up a virtual environment and run `gradsheet tour`
#   make test   -- set up a virtual environment with the dev extras and run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: tour test bench clean docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[data,rl,viz]"
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[data,rl,viz,onnx,dev]"
	touch $@ $(VENV)/.installed-run

$(VENV)/.installed-docs: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[data,rl,viz,docs]"
	touch $@

# The documentation site, built as CI builds it (strict: any warning fails); open
# site/index.html from disk.
docs: $(VENV)/.installed-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

tour: $(VENV)/.installed-run
	$(BIN)/gradsheet tour $(ARGS)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(ARGS)

# Benchmarks measure with OpenBLAS's own kernel choice: the two variables are unset here only.
# Results go to benchmarks/results/*.json (about 10 minutes in all, pymdptoolbox's sparse
# solve being most of it).
BENCH_ENV := env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE
bench: $(VENV)/.installed-dev
	for b in mlp cnn batchnorm_mlp rnn planning transformer attention_long; do \
		$(BENCH_ENV) $(BIN)/python benchmarks/$$b.py --json benchmarks/results/$$b.json || exit 1; \
	done
	$(BENCH_ENV) $(BIN)/python benchmarks/rl_learning.py --part qlearning \
		--json benchmarks/results/qlearning.json

clean:
	rm -rf $(VENV) build *.egg-info
