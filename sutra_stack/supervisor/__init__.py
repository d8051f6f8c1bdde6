"""The supervisor: process specs, states, spawning, probes, restarts, logs, control socket, reload."""
