"""The roster's YAML reader: PyYAML's safe values, built from libyaml's events, with lines and without duplicates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.services.roster import RosterError
from bot.services.roster.formats.yaml_lines import load_yaml

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False),
    st.dates(),
    st.text(max_size=12),
    st.sampled_from(["yes", "no", "~", "null", "0x1f", "1_000", "2026-13-01", "<<", "=", "1e3", ".inf"]),
)
KEYS = st.one_of(st.text(max_size=8), st.integers(0, 99), st.dates(), st.sampled_from(["on", "off", "y"]))
DATA = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=DATA, flow=st.sampled_from([None, True, False]))
def test_values_are_exactly_what_pyyaml_s_safe_loader_gives(
    tmp_path: Path, data: object, flow: bool | None
) -> None:
    path = tmp_path / "data.yaml"
    path.write_text(yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True))
    assert load_yaml(path) == yaml.safe_load(path.read_text())


def test_anchors_merges_and_explicit_tags(tmp_path: Path) -> None:
    path = tmp_path / "data.yaml"
    path.write_text(
        "base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\nl: &l [1, 2]\nk: *l\n'yes': '123'\n"
        "bin: !!binary aGVsbG8=\ns: !!str 12\nd: 2020-01-01\n"
    )
    loaded = load_yaml(path)
    assert loaded == yaml.safe_load(path.read_text())
    assert loaded["m"] == {"x": 1, "y": 3}
    assert loaded["d"] == dt.date(2020, 1, 1)
    assert loaded.line == 1
    assert loaded.key_lines["k"] == 6


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &x [*x]\n", "1: not valid YAML: a YAML alias refers to its own parent"),
        ("a: 1\n---\nb: 2\n", "2: not valid YAML: expected one YAML document, found another"),
        ("a: [1, 2\n", "2: not valid YAML:"),
        ("? [1, 2]\n: x\n", "1: not valid YAML: a mapping key must be a plain value"),
        ("a: !!set {x}\n", "1: not valid YAML: YAML tag tag:yaml.org,2002:set is not allowed here"),
        ("a: *nowhere\n", "1: not valid YAML:"),
        ("a: <<\n", "1: not valid YAML: `<<` merges mappings; as a value, write it in quotes"),
    ],
)
def test_malformed_yaml_is_a_located_message(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(RosterError) as error:
        load_yaml(path)
    assert error.value.problems[0].startswith(f"{path}:{message}")


def test_a_billion_laughs_shares_one_value(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join(f'*a{i - 1}' for _ in range(10))}]" for i in range(1, 9)]
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n")
    loaded = load_yaml(path)
    assert loaded["a8"][0] is loaded["a7"]
