"""The procedure definitions, loaded once per process, and the one each partnership runs.

Here, at the bottom of the application, so that the directory (importing a partnership's
people, checking its stage contacts) and everything above it read them the same way.
"""

from __future__ import annotations

import functools
import os

from escalate.directory.models import Partnership
from escalate.procedures.registry import Registry, dirs_from_env, load_registry
from escalate.procedures.schema import Procedure


@functools.cache
def registry() -> Registry:
    """Every procedure definition, loaded and validated once per process."""
    return load_registry(dirs_from_env(os.environ))


def partnership_procedure(partnership: Partnership) -> Procedure:
    """The procedure version a partnership runs (for new escalations and its pages)."""
    return registry().get(partnership.procedure_id, partnership.procedure_version)
