"""The matter workflow 议事流程: one transition table for a matter's stage (`choices.Stage`).

==========  =========  ===============================================================
propose     民主提事    raised; residents support it; it may be merged or dropped
deliberate  民主议事    the advisory panel writes options; a meeting discusses them
decide      民主决策    a vote under rules fixed before it opens
manage      民主管理    the decision divided into tasks with owners and deadlines
supervise   民主监督    inspections by the supervision panel; residents rate the result
done        已办结      rated well enough
closed      已终止      merged, dropped, decided against, or the vote missed its quorum
==========  =========  ===============================================================

A vote that passes moves the matter to manage (`decided`); one that fails closes it
(`rejected`), and one that misses its quorum decides nothing (`no_quorum`: back to deliberate,
where another meeting and vote may follow, or the community closes it with `drop`). When every
task of the round is done, `supervise` starts the supervision; the ratings then finish it
(`finish`) or — a share of 不满意 above the matter's limit — send it back (`send_back`) to manage
with a new round.

Pure: no database, no models. The services move a matter only through `TABLE.next`; the pages
offer what `TABLE.allows` says.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from linli.core.workflow import TransitionTable

from .choices import Stage as S


class Action:
    DELIBERATE = "deliberate"  # propose → deliberate: the community takes it up 受理议事
    MERGE = "merge"  # propose → closed: merged into a similar matter 合并
    DROP = "drop"  # propose / deliberate → closed: not taken up, with the reason 不予议事
    PUT_TO_VOTE = "put_to_vote"  # deliberate → decide: a vote opens 提交表决
    DECIDED = "decided"  # decide → manage: the vote passed 表决通过
    REJECTED = "rejected"  # decide → closed: the vote did not pass 表决未通过
    NO_QUORUM = "no_quorum"  # decide → deliberate: quorum missed, nothing decided 未达法定人数
    SUPERVISE = "supervise"  # manage → supervise: every task of the round is done 转入监督
    FINISH = "finish"  # supervise → done: rated well enough 评定满意，办结
    SEND_BACK = "send_back"  # supervise → manage: too many 不满意, a new round 重新整改


ACTION_LABELS = {
    Action.DELIBERATE: gettext_lazy("take up for deliberation"),
    Action.MERGE: gettext_lazy("merge into a similar matter"),
    Action.DROP: gettext_lazy("close without deliberation"),
    Action.PUT_TO_VOTE: gettext_lazy("put to the vote"),
    Action.DECIDED: gettext_lazy("carry out the decision"),
    Action.REJECTED: gettext_lazy("close: decided against"),
    Action.NO_QUORUM: gettext_lazy("back to deliberation: quorum missed"),
    Action.SUPERVISE: gettext_lazy("start supervision"),
    Action.FINISH: gettext_lazy("finish"),
    Action.SEND_BACK: gettext_lazy("send back for another round"),
}

TRANSITIONS: dict[tuple[str, str], str] = {
    (S.PROPOSE, Action.DELIBERATE): S.DELIBERATE,
    (S.PROPOSE, Action.MERGE): S.CLOSED,
    (S.PROPOSE, Action.DROP): S.CLOSED,
    (S.DELIBERATE, Action.PUT_TO_VOTE): S.DECIDE,
    (S.DELIBERATE, Action.DROP): S.CLOSED,
    (S.DECIDE, Action.DECIDED): S.MANAGE,
    (S.DECIDE, Action.REJECTED): S.CLOSED,
    (S.DECIDE, Action.NO_QUORUM): S.DELIBERATE,
    (S.MANAGE, Action.SUPERVISE): S.SUPERVISE,
    (S.SUPERVISE, Action.FINISH): S.DONE,
    (S.SUPERVISE, Action.SEND_BACK): S.MANAGE,
}

TABLE = TransitionTable(
    transitions=TRANSITIONS,
    states=S,
    action_labels=ACTION_LABELS,
    refused=gettext_lazy("“%(action)s” is not possible for a matter at the stage “%(state)s”."),
)

FINAL_STAGES = TABLE.final_states()  # done, closed
OPEN_STAGES = frozenset(str(s) for s in S) - FINAL_STAGES
# The vote's outcome and the action it takes on the matter.
VOTE_ACTIONS = (Action.DECIDED, Action.REJECTED, Action.NO_QUORUM)
