# Two commands work on a fresh machine: `make site` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Material 9.7+ prints a long notice about MkDocs 2 on every build.
export NO_MKDOCS_2_WARNING := 1

.PHONY: site test serve capture check status share handout lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

## Build site/ from the committed captures; never contacts a cluster.
site: $(STAMP)
	KUBECAPTURE_MODE=replay $(BIN)/mkdocs build --strict

## site.zip: the site built from the committed captures for opening from disk (file://),
## offline, search included; refuses a site that would load anything from the network.
share: $(STAMP)
	rm -rf site site.zip
	KUBECAPTURE_MODE=replay KUBECAPTURE_OFFLINE=true $(BIN)/mkdocs build --strict
	$(BIN)/python -m kubecapture.share site site.zip

## site/handout.pdf: the course sections and the study-group page as one PDF to print
## (headless Chromium; Debian: chromium, fonts-ipaexfont-gothic, fonts-ipafont-gothic).
HANDOUT_PAGES := course/01-introduction.html course/02-overview.html course/04-kubectl.html \
	course/05-resources.html study-group/bizpy.html
handout: site
	$(BIN)/python -m kubecapture.handout --site site --out site/handout.pdf $(HANDOUT_PAGES)

## Run the whole test suite (real kubectl against the API stand-in in tests/).
test: $(STAMP)
	$(BIN)/python -m pytest

## Live preview; only pages whose snippets changed touch the cluster.
serve: $(STAMP)
	$(BIN)/mkdocs serve

## Re-run every snippet against the current kube context and write captures.
capture: $(STAMP)
	$(BIN)/kubecapture refresh

status: $(STAMP)
	$(BIN)/kubecapture status

check: $(STAMP)
	$(BIN)/kubecapture check

lint: $(STAMP)
	$(BIN)/ruff check plugins tests benchmarks
	$(BIN)/ruff format --check plugins tests benchmarks

clean:
	rm -rf site $(VENV)
