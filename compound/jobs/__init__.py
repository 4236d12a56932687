"""Scheduled jobs: their leases and their runs (the process that runs them is compound/shell/scheduler.py)."""
