"""Pure loss formulas: the water balance, night flow, transformer and cable losses, billing and collection.

Each module implements one section of `/work/shared/reference/loss-methods.md` and imports nothing of the
project, so the period balance, the money view, the CLI and the pages can all call the same functions.
`numbers` holds the exact-arithmetic contexts and the one rounding rule.
"""
