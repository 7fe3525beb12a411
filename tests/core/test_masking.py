"""Masking 脱敏: the formats, free-text scrubbing, and the log filter of the real logging set-up."""

import io
import logging

import pytest

from linli.core.masking import (
    ID_NUMBER,
    MOBILE,
    NAME,
    MaskingLogFilter,
    mask,
    mask_id_number,
    mask_mobile,
    mask_name,
    mask_text,
)
from tests.factories import make_id_number

ID = "370702199001011234"
PHONE = "13812345678"


def test_id_number_keeps_area_code_and_last_four():
    assert mask_id_number(ID) == "370702********1234"
    assert mask(ID, ID_NUMBER) == "370702********1234"
    assert mask("37070219900101123X", ID_NUMBER) == "370702********123X"


def test_mobile_keeps_first_three_and_last_four():
    assert mask_mobile(PHONE) == "138****5678"
    assert mask(PHONE, MOBILE) == "138****5678"


@pytest.mark.parametrize(
    ("name", "masked"), [("张三", "张*"), ("刘志辉", "刘**"), ("欧阳娜娜", "欧***")]
)
def test_name_keeps_the_family_name_character(name, masked):
    assert mask_name(name) == masked
    assert mask(name, NAME) == masked


@pytest.mark.parametrize("kind", [ID_NUMBER, MOBILE, NAME])
def test_empty_values_stay_empty(kind):
    assert mask("", kind) == ""
    assert mask(None, kind) == ""


def test_short_values_are_hidden_completely():
    assert mask_id_number("1234567") == "*******"
    assert mask_mobile("12345") == "*****"


def test_mask_text_scrubs_numbers_in_free_text():
    text = f"居民{ID}的电话是{PHONE}，身份证 37070219900101123x 已核对"
    masked = mask_text(text)
    assert ID not in masked and PHONE not in masked and "37070219900101123x" not in masked
    assert "370702********1234" in masked
    assert "138****5678" in masked
    assert "370702********123x" in masked
    assert masked.startswith("居民") and masked.endswith("已核对")


def test_mask_text_leaves_other_numbers_alone():
    text = "order 123456789012345678901 at 2026-03-02, 10 households, code 370702001203"
    assert mask_text(text) == text


def _configured_handler() -> logging.Handler:
    """The console handler that settings.LOGGING attaches to the root logger."""
    handlers = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, MaskingLogFilter) for f in h.filters)
    ]
    assert handlers, "settings.LOGGING attaches no masking filter to the root logger"
    return handlers[0]


@pytest.fixture
def log_output():
    handler = _configured_handler()
    buffer = io.StringIO()
    # Swap the stream directly: setStream() would flush the old one, which may be a capture
    # file another test has already closed.
    previous, handler.stream = handler.stream, buffer
    try:
        yield buffer
    finally:
        handler.stream = previous


def test_log_lines_are_masked_through_the_configured_logging(log_output):
    number = make_id_number()
    logging.getLogger("linli.registry").warning("import row 7: %s, phone %s", number, PHONE)
    written = log_output.getvalue()
    assert "import row 7" in written
    assert number not in written and PHONE not in written
    assert mask_id_number(number) in written
    assert "138****5678" in written


def test_tracebacks_in_logs_are_masked_too(log_output):
    number = make_id_number()
    try:
        raise ValueError(f"duplicate key (id_number)=({number})")
    except ValueError:
        logging.getLogger("django.request").exception("Internal Server Error: /registry/")
    written = log_output.getvalue()
    assert "Traceback" in written and "duplicate key" in written
    assert number not in written
    assert mask_id_number(number) in written


def test_the_filter_masks_a_record_with_arguments():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "phone %s id %s", (PHONE, ID), None)
    assert MaskingLogFilter().filter(record) is True
    assert record.getMessage() == "phone 138****5678 id 370702********1234"
