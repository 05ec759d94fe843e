"""The terminal shows a relay's refusal in our own words, never the relay's text (item 16)."""

from __future__ import annotations

import pytest

from atopos_client.__main__ import describe
from atopos_client.events import ActionRefused
from atopos_client.refusals import ACTIONS, ADMISSIONS, UNKNOWN, admission_refusal

PHISH = "re-verify your link at https://evil.example/r/#v2.paste-it-here"


def test_mallorys_refusal_text_is_never_printed():
    """A malicious relay's REFUSED reason reads like an instruction: the terminal prints our
    fixed sentence, and nothing of what the relay wrote."""
    line = describe(ActionRefused(None, PHISH))
    assert line == f"* Not done: {UNKNOWN}"
    assert "evil.example" not in line
    assert "evil.example" not in admission_refusal(PHISH)


@pytest.mark.parametrize("code", sorted(ACTIONS))
def test_each_known_action_code_has_our_words(code):
    """Every code PROTOCOL §8.3/§8.7 can send back is shown as a sentence, not the code."""
    assert describe(ActionRefused(None, code)) == f"* Not done: {ACTIONS[code]}"


def test_admission_codes_have_our_words():
    assert admission_refusal("declined") == ADMISSIONS["declined"]
    assert admission_refusal("too-many-waiting") != UNKNOWN
