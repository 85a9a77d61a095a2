"""exchange-monitor: watches cryptocurrency-exchange APIs and raises the alarm early."""

__version__ = "0.1.0"
