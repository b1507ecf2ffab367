"""Planning pages and running them live: the only package that talks to a cluster."""
