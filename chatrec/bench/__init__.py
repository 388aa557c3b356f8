"""Benchmarks that print figures: turns, load, catalog scale; the load driver they share."""
