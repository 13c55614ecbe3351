"""All the procedure definitions one installation knows: the built-in five and any a
partnership adds by dropping a file into a directory it names."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from escalate.procedures.schema import DefinitionError, Problem, Procedure, load_definition

BUILT_IN_DIR = Path(__file__).parent / "definitions"
SUFFIXES = (".yaml", ".yml")
#: Extra definition directories, separated by the OS path separator (":" on Unix).
DIRS_ENV = "ESCALATE_PROCEDURE_DIRS"


class UnknownProcedureError(LookupError):
    pass


@dataclass(frozen=True)
class Registry:
    """Procedures by id, each with its versions in order of effective date."""

    versions: dict[str, tuple[Procedure, ...]] = field(default_factory=dict)

    def ids(self) -> list[str]:
        return sorted(self.versions)

    def latest(self) -> list[Procedure]:
        return [self.versions[i][-1] for i in self.ids()]

    def get(self, procedure_id: str, version: str | None = None) -> Procedure:
        found = self.versions.get(procedure_id)
        if not found:
            known = ", ".join(self.ids())
            raise UnknownProcedureError(f"unknown procedure '{procedure_id}' (known: {known})")
        if version is None:
            return found[-1]
        for proc in found:
            if proc.version == version:
                return proc
        raise UnknownProcedureError(f"procedure '{procedure_id}' has no version '{version}'")

    def in_force(self, procedure_id: str, on: dt.date) -> Procedure:
        """The version in force on a date: the latest whose effective date is not after it."""
        candidates = [p for p in self.versions.get(procedure_id, ()) if p.effective_from <= on]
        if not candidates:
            raise UnknownProcedureError(f"no version of '{procedure_id}' is in force on {on}")
        return candidates[-1]


def dirs_from_env(environ: Mapping[str, str]) -> list[Path]:
    """The extra definition directories named in ``environ[DIRS_ENV]`` (none if unset)."""
    return [Path(d) for d in environ.get(DIRS_ENV, "").split(os.pathsep) if d]


def definition_files(directories: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for directory in directories:
        files.extend(sorted(p for p in directory.iterdir() if p.suffix in SUFFIXES))
    return files


def load_registry(extra_dirs: Sequence[Path] = ()) -> Registry:
    """Load and validate every definition. All problems of all files are reported together."""
    problems: list[Problem] = []
    by_id: dict[str, list[Procedure]] = {}
    origin: dict[tuple[str, str], str] = {}
    for directory in extra_dirs:
        if not directory.is_dir():
            problems.append(Problem(str(directory), None, "", "not a directory"))
    for path in definition_files([BUILT_IN_DIR, *(d for d in extra_dirs if d.is_dir())]):
        try:
            proc = load_definition(path)
        except DefinitionError as exc:
            problems.extend(exc.problems)
            continue
        key = (proc.id, proc.version)
        if key in origin:
            problems.append(
                Problem(
                    str(path),
                    None,
                    "version",
                    f"{proc.id} version {proc.version} is also defined in {origin[key]}",
                )
            )
            continue
        origin[key] = str(path)
        by_id.setdefault(proc.id, []).append(proc)
    if problems:
        raise DefinitionError(problems)
    return Registry({k: tuple(sorted(v, key=lambda p: p.effective_from)) for k, v in by_id.items()})
