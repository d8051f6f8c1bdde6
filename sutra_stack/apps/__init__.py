"""The app processes the supervisor runs: api, hybrid, control, client."""
