"""reformsim.agents."""
