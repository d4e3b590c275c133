import json

import pytest

from outcomes.loading import DEFINITIONS_DIR, parse_instrument, version_key


def current_definition(code: str):
    """Parse the highest version of one instrument's definition file on its own."""
    paths = sorted(
        (DEFINITIONS_DIR / "instruments" / code).glob("*.json"),
        key=lambda path: version_key(path.stem),
    )
    return parse_instrument(json.loads(paths[-1].read_text()), paths[-1])


@pytest.fixture
def definition():
    return current_definition
