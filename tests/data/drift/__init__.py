"""drift.py's test data: real kubectl outputs (extract.py made them), and outputs.py."""
