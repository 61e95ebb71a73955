"""Settings shared by the fuzz tests."""

from __future__ import annotations

from typing import Final

import pytest
from hypothesis import HealthCheck, Phase

#: No "explain" phase: it traces every line (slow before Python 3.12) and adds little here.
PHASES: Final = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink)
SUPPRESSED: Final = (HealthCheck.too_slow, HealthCheck.data_too_large)

#: Passing runs take seconds; shrinking a failure can take minutes, and the suite-wide
#: timeout would cut it off and hide the failing example.
MARKS: Final = [pytest.mark.fuzz, pytest.mark.timeout(900)]
