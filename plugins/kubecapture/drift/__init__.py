"""What changed between cluster setups: comparison, history, the drift report and its page."""
