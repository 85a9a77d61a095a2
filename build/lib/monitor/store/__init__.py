"""History: per-endpoint per-minute rollups."""
