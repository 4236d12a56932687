"""The audit trail: who changed what, when, from where, with the values before and after."""
