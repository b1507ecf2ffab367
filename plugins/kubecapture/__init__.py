"""kubecapture: run kubectl snippets at build time, record the output, replay it anywhere."""
