"""The mediation of a dispute 矛盾纠纷调解: one transition table for a dispute's state.

=============  ====================  ========================================================
preparing      调解准备              parties and the mediator are being named
mediating      调解中                at least one session has been held
agreed         达成调解协议          the parties signed an agreement; its keeping is checked
referred       调解不成，已引导      mediation failed; the parties were sent on (诉讼、仲裁、信访)
fulfilled      协议已履行            the check found the agreement kept
not_fulfilled  协议未履行            the check found it not kept
=============  ====================  ========================================================

Naming parties and the mediator is possible while the mediation is being prepared or held;
an agreement needs a session held first; a check that finds the agreement partly kept leaves it
agreed, to be checked again. Pure: no database, no models.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from linli.core.workflow import TransitionTable

from ..choices import DisputeState as S
from ..choices import Fulfilment


class Action:
    ADD_PARTY = "add_party"  # 添加当事人
    SET_MEDIATOR = "set_mediator"  # 指定调解员
    RECORD_SESSION = "record_session"  # 记录调解会
    AGREE = "agree"  # 达成协议
    REFER = "refer"  # 调解不成，引导至诉讼、仲裁、信访
    UPLOAD_SCAN = "upload_scan"  # 上传签字扫描件
    CHECK_KEPT = "check_kept"  # 履行回访：已履行
    CHECK_PARTLY = "check_partly"  # 履行回访：部分履行（再查）
    CHECK_NOT_KEPT = "check_not_kept"  # 履行回访：未履行


ACTION_LABELS = {
    Action.ADD_PARTY: gettext_lazy("add a party"),
    Action.SET_MEDIATOR: gettext_lazy("set the mediator"),
    Action.RECORD_SESSION: gettext_lazy("record a mediation session"),
    Action.AGREE: gettext_lazy("record the agreement"),
    Action.REFER: gettext_lazy("record a failed mediation"),
    Action.UPLOAD_SCAN: gettext_lazy("upload the signed agreement"),
    Action.CHECK_KEPT: gettext_lazy("record that the agreement is kept"),
    Action.CHECK_PARTLY: gettext_lazy("record that the agreement is partly kept"),
    Action.CHECK_NOT_KEPT: gettext_lazy("record that the agreement is not kept"),
}

TRANSITIONS: dict[tuple[str, str], str] = {
    (S.PREPARING, Action.ADD_PARTY): S.PREPARING,
    (S.PREPARING, Action.SET_MEDIATOR): S.PREPARING,
    (S.PREPARING, Action.RECORD_SESSION): S.MEDIATING,
    (S.PREPARING, Action.REFER): S.REFERRED,
    (S.MEDIATING, Action.ADD_PARTY): S.MEDIATING,
    (S.MEDIATING, Action.SET_MEDIATOR): S.MEDIATING,
    (S.MEDIATING, Action.RECORD_SESSION): S.MEDIATING,
    (S.MEDIATING, Action.AGREE): S.AGREED,
    (S.MEDIATING, Action.REFER): S.REFERRED,
    (S.AGREED, Action.UPLOAD_SCAN): S.AGREED,
    (S.AGREED, Action.CHECK_KEPT): S.FULFILLED,
    (S.AGREED, Action.CHECK_PARTLY): S.AGREED,
    (S.AGREED, Action.CHECK_NOT_KEPT): S.NOT_FULFILLED,
    (S.FULFILLED, Action.UPLOAD_SCAN): S.FULFILLED,
    (S.NOT_FULFILLED, Action.UPLOAD_SCAN): S.NOT_FULFILLED,
}

TABLE = TransitionTable(
    transitions=TRANSITIONS,
    states=S,
    action_labels=ACTION_LABELS,
    refused=gettext_lazy("“%(action)s” is not possible for a dispute that is “%(state)s”."),
)

# What a fulfilment check finds → the action it performs.
CHECK_ACTIONS: dict[str, str] = {
    Fulfilment.KEPT: Action.CHECK_KEPT,
    Fulfilment.PARTLY: Action.CHECK_PARTLY,
    Fulfilment.NOT_KEPT: Action.CHECK_NOT_KEPT,
}
# While these hold, the parties and the mediator may still change.
OPEN_STATES = frozenset(TABLE.states_from(Action.ADD_PARTY))
# An agreement whose keeping is still to be checked.
AWAITING_CHECK = frozenset(TABLE.states_from(Action.CHECK_KEPT))
