"""Collections: chasing unpaid bills, level by level (policies, the daily run, tasks, letters, key defaulters)."""
