"""Errors the meter services raise."""

from compound.kit.errors import AppError, Conflict, InvalidInput
from meters.readings.validation import Problem


class ReadingProblems(AppError):
    """Carries every problem found, so the clerk can fix them all at once."""

    def __init__(self, message: str, problems: list[Problem]):
        first = problems[0] if problems else None
        super().__init__(
            message, field=first.field if first else None, extra={"problems": [p.to_dict() for p in problems]}
        )
        self.problems = problems


class ReadingRefused(ReadingProblems, InvalidInput):
    """422: the reading cannot be saved as it is."""


class NeedsConfirmation(ReadingProblems, Conflict):
    """409: the reading looks wrong; send it again with these codes in `confirm` to save it."""


class MeterError(InvalidInput):
    """422: a register change to a meter that cannot be made (replacement, seal, tree)."""


class MultiplierNeedsConfirming(Conflict):
    """409: a new multiplier on a meter with readings; send it again with confirm_multiplier_change."""
