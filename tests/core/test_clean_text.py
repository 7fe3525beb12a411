"""Free texts (descriptions, notes): a text that shows nothing is empty (core.validators)."""

import pytest
from django.core.exceptions import ValidationError

from linli.core.validators import clean_text, has_visible_text


@pytest.mark.parametrize("blank", ["", "   ", "\u200b\u200e\u202e", "\u3164\u115f", "\ufeff\n\t"])
def test_a_text_of_spaces_and_invisible_characters_shows_nothing(blank):
    assert not has_visible_text(blank)
    with pytest.raises(ValidationError) as refused:
        clean_text(blank, "description", 100, required="说说是什么事。")
    assert refused.value.message_dict == {"description": ["说说是什么事。"]}


def test_a_visible_text_keeps_its_line_breaks_and_is_trimmed():
    assert has_visible_text("\u200b门口下水道堵了")
    assert clean_text("  门口下水道堵了\n污水漫到路上  ", "description", 100) == (
        "门口下水道堵了\n污水漫到路上"
    )


def test_too_long_or_holding_a_nul_is_refused():
    with pytest.raises(ValidationError):
        clean_text("长" * 11, "note", 10)
    with pytest.raises(ValidationError):
        clean_text("a\x00b", "note", 10)
    assert clean_text(None, "note", 10) == ""
