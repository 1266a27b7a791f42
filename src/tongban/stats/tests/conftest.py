"""Fixtures of the statistics tests."""

from __future__ import annotations

import pytest

from tongban.consultations import actions as consultation_actions
from tongban.ratings import actions as rating_actions
from tongban.stats import refresh
from tongban.stats.tests.helpers import (
    DONGHU,
    GEDIAN,
    HUANGZHOU,
    JIANGXIA,
    KAITIE,
    completed_case,
    local,
    make_case,
    walk,
)


@pytest.fixture
def figures(world):
    """黄州→东湖 (agreement, completed and rated), 葛店→开铁 (agreement), online at 东湖,
    江夏→黄州 (no agreement); consultations at 东湖 (one forwarded to 葛店) and at 葛店."""
    a = walk(make_case(world, receiving=HUANGZHOU, handling=DONGHU, received_at=local(2024, 3, 4)))
    make_case(
        world,
        receiving=GEDIAN,
        handling=KAITIE,
        item="marriage",
        channel="terminal",
        received_at=local(2024, 3, 5),
    )
    make_case(world, receiving=None, handling=DONGHU, received_at=local(2024, 4, 1))
    make_case(
        world,
        receiving=JIANGXIA,
        handling=HUANGZHOU,
        agreement=False,
        received_at=local(2024, 4, 2),
    )
    clerk = world.user(f"{DONGHU}-clerk")
    for channel in ("window", "hotline"):
        consultation_actions.record_consultation(
            clerk,
            jurisdiction=world.donghu.code,
            channel=channel,
            topic="结婚登记",
            question="?",
            item=world.items["marriage"].code,
            answer="答复",
        )
    forwarded = consultation_actions.record_consultation(
        clerk, jurisdiction=world.donghu.code, channel="online", topic="其他", question="?"
    )
    consultation_actions.forward_consultation(clerk, forwarded.pk, world.gedian.code)
    consultation_actions.record_consultation(
        world.user(f"{GEDIAN}-clerk"),
        jurisdiction=world.gedian.code,
        channel="window",
        topic="t",
        question="q",
    )
    rated = completed_case(world, receiving=HUANGZHOU, handling=DONGHU)
    rating_actions.submit_rating(
        world.user("applicant-1"),
        rated.number,
        level=2,
        comment="慢",
        target_leg="handling",
        indicators={"efficiency": 2, "competence": 3, "attitude": 4},
    )
    refresh.refresh()
    return {"completed": a, "rated": rated}
