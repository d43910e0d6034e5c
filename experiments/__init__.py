"""reformsim.experiments."""
