"""Readings: validation, entry, corrections, estimates, import, round sheets and meter history."""
