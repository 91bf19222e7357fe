"""Faults: scale-out, kills, restarts and outages of the running service, and bad input."""
