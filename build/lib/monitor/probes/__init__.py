"""Stage 1: one task per endpoint measures it and puts a ProbeResult on the results queue."""
