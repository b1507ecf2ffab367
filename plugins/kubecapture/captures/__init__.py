"""Capture files and what is kept between builds: the store, the read cache, the render cache."""
