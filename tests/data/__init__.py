"""Data the tests read, with the test-side modules that belong to it."""
