"""Surfaces: one aiohttp server for /metrics, health, the JSON API and the status page."""
