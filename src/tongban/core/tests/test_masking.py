from __future__ import annotations

import logging

from tongban.core.masking import (
    MaskPersonalDataFilter,
    mask_address,
    mask_id_number,
    mask_name,
    mask_phone,
    mask_text,
)

ID = "420111198501020077"


def test_masks_keep_only_what_identifies_nobody():
    assert mask_id_number(ID) == "420***********0077"
    assert mask_phone("13800138000") == "138****8000"
    assert mask_name("李明") == "李*"
    assert mask_name("欧阳小明") == "欧***"
    assert mask_address("湖北省黄冈市黄州区东门路1号") == "湖北省黄冈市****"
    assert mask_id_number("") == mask_phone(None) == ""


def test_free_text_is_masked():
    text = f"申请人 {ID} 电话13800138000 已受理"
    masked = mask_text(text)
    assert ID not in masked and "13800138000" not in masked
    assert "0077" in masked and "138****8000" in masked


def test_log_filter_masks_formatted_records(caplog):
    logger = logging.getLogger("tongban.test.masking")
    logger.addFilter(MaskPersonalDataFilter())
    with caplog.at_level(logging.INFO, logger="tongban.test.masking"):
        logger.info("looked up %s with phone %s", ID, "13912345678")
    assert ID not in caplog.text and "13912345678" not in caplog.text
    assert "139****5678" in caplog.text
