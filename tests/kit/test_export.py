"""Spreadsheet exports never hand a formula to the spreadsheet."""

from __future__ import annotations

import pytest

from pulso.kit.export import spreadsheet_safe


@pytest.mark.parametrize("text", ["=1+1", "+34 600", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_starts_are_quoted(text: str) -> None:
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("text", ["Atención", "", "1=1", "a-b"])
def test_other_text_is_kept(text: str) -> None:
    assert spreadsheet_safe(text) == text
