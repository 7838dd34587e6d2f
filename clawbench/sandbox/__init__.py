"""TODO: sandbox."""
