"""Stage 2: windows over ProbeResults, rules as data, and the alert lifecycle."""
