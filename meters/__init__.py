"""Meters, the meter tree, seals, readings, validation and import."""
