"""Simulated exchanges: every profile's wire format on its own paths, plus chaos scenarios."""
