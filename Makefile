# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run dev test lint bench load clean

$(BIN)/python:
	@echo "Creating the virtual environment in $(VENV)..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# pip's own output (each package, a download bar on a terminal) shows that the
# install is working; the stamp file makes the next `make run` start at once.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	@echo "Installing TensorFlow and the rest, about 1-2 minutes the first time..."
	$(BIN)/python -m pip install -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	@echo "Installing the test tools (pytest, Playwright, ruff)..."
	$(BIN)/python -m pip install -r requirements-dev.txt
	touch $@

# No file watcher: .venv lives in the app folder, and Streamlit's watchdog
# watcher watches that folder recursively, so importing TensorFlow floods it
# ("Inotify queue overflowed"). server.folderWatchBlacklist does not help: it
# only filters which modules are watched, not the recursive folder watch.
run: $(VENV)/.installed
	$(BIN)/python -m streamlit run app.py --server.port $(PORT) --server.fileWatcherType none

# For editing the code: rerun on save, with the polling watcher, which stats
# the app's own files and never walks .venv.
dev: $(VENV)/.installed
	$(BIN)/python -m streamlit run app.py --server.port $(PORT) --server.fileWatcherType poll --server.runOnSave true

# pytest exits 5 when it collects nothing: that is a failure here, not a pass.
test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/browser_bench.py

load: $(VENV)/.installed-dev
	$(BIN)/python bench/load_test.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
