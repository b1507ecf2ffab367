"""What may run, decided before anything runs: kubectl's grammar, the allowlist, the guard."""
