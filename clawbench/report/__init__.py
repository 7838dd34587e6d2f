"""TODO: report."""
