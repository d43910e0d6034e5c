"""reformsim.viz."""
