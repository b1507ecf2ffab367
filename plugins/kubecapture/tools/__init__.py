"""The author's tools: the `kubecapture` command, the offline zip, the PDF handout."""
