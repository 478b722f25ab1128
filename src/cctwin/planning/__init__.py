"""Camera planning on the twin: coverage, blind spots, new camera placement and upgrades."""
