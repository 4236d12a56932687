"""What a domain package adds to the shell, said in one place (`<package>/contributes.py`).

The shell loops over one tuple of packages and reads each one's `CONTRIBUTES`: adding a package is one
line there. Routers and commands are named as import paths so the CLI does not import the web app and
the web app does not import the CLI.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Job:
    """A job the scheduler process runs once a day for each compound (`compound scheduler`, compound/jobs/).

    The function is called as `fn(session, *, compound_id, as_of, progress) -> {count name: number}` inside
    one transaction, which the runner commits together with the run's record: it must never commit, and must
    be safe to run again for the same date (a rerun after a crash, or by hand).
    """

    name: str  # "collections.run": what `compound jobs run NAME` and the job-run page call it
    path: str  # "package.module:function"
    # "HH:MM" in the compound's local time; None: the configured COMPOUND_SCHEDULER_DAILY_AT.
    daily_at: str | None = None
    description: str = ""


@dataclass(frozen=True)
class Contribution:
    name: str
    # Every table of the package: imported wherever the whole schema is needed (Alembic, tests).
    models: tuple[type, ...] = ()
    # Tables the audit trail follows, with the name their entries carry.
    audited: Mapping[type, str] = field(default_factory=dict)
    # "package.module" paths of modules that each define `router`, in the order the app includes them.
    routers: tuple[str, ...] = ()
    # `compound NAME ...` sub-commands: NAME → "package.module:typer_app".
    commands: Mapping[str, str] = field(default_factory=dict)
    # Scheduled jobs, each naming its "package.module:function" (see Job).
    jobs: tuple[Job, ...] = ()
    # The package's templates/ and locale/ folders (None when it has none).
    templates: Path | None = None
    locale: Path | None = None
    # Functions the package's templates (and others') call: {"can": can}.
    template_globals: Mapping[str, Any] = field(default_factory=dict)
    # Paths (full-match regexes) that take a file upload: their bodies may reach COMPOUND_MAX_UPLOAD_BYTES,
    # every other body stops at COMPOUND_MAX_BODY_BYTES (compound/kit/body_limit.py).
    upload_paths: tuple[str, ...] = ()


def package_dir(module_file: str) -> Path:
    """The folder of the package whose contributes.py this is."""
    return Path(module_file).resolve().parent


def folder(module_file: str, name: str) -> Path | None:
    path = package_dir(module_file) / name
    return path if path.is_dir() else None
