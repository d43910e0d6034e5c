"""Package data: the evidence file (published reform effects and their experiments)."""
