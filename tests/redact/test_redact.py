"""Redactor and cut: the last line of defence between remote text and a message."""

from __future__ import annotations

from reconciler.redact import Redactor, cut


def test_every_occurrence_of_every_secret_is_masked() -> None:
    redact = Redactor(["s3cr3t-token", "key-42"])
    assert redact("a s3cr3t-token b s3cr3t-token c key-42") == "a *** b *** c ***"


def test_short_values_are_not_treated_as_secrets() -> None:
    redact = Redactor(["abc", ""])
    assert redact("abc def") == "abc def"


def test_longest_secret_wins_when_one_contains_another() -> None:
    redact = Redactor(["abcd"])
    redact.add("abcd-efgh")
    assert redact("x abcd-efgh y abcd") == "x *** y ***"


def test_url_encoded_form_is_masked() -> None:
    redact = Redactor(["tok/en+="])
    assert redact("?api_key=tok%2Fen%2B%3D&x=1") == "?api_key=***&x=1"


def test_regex_characters_are_literal() -> None:
    redact = Redactor(["a.b*c"])
    assert redact("aXbbc a.b*c") == "aXbbc ***"


def test_no_secrets_leaves_text_alone() -> None:
    assert Redactor()("anything") == "anything"


def test_repr_does_not_show_secrets() -> None:
    assert "hunter22" not in repr(Redactor(["hunter22"]))


def test_cut() -> None:
    assert cut("short") == "short"
    assert cut("x" * 500) == "x" * 500
    assert cut("x" * 503) == "x" * 500 + "… (3 more characters)"
    assert cut("abcdef", 2) == "ab… (4 more characters)"
