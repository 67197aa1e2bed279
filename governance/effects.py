"""What an adopted decision changes in the association's stack, in the closing transaction.

`plan_effects()` reads the stack and lists the stage moves the decision implies; the plan is
stored in `Decision.effect` (and so covered by the decision's hash). `apply_decision()` then
performs it through the stack services of `shared_tools`, each move carrying the decision's code
in the stack history. If a move is refused, the close rolls back and is retried by the schedule.

- adopt / replace: the chosen tool becomes "adopted" (added to the stack first if missing; an
  abandoned tool is considered again first, as the lifecycle requires);
- replace / retire: the current tool goes to "being retired" if adopted, or "abandoned" if it
  was only considered or on trial; a replacement won by an option without a tool ("keep what we
  have") retires nothing;
- other kinds, rejected decisions and decisions without quorum change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from hub.models import Membership, Role
from hub.permissions import Access
from shared_tools.models import Stage, Tool, ToolUsage

from .models import Outcome, ProposalKind

if TYPE_CHECKING:
    from hub.models import Association, User

    from .models import Decision, Option, Proposal

Step = dict[str, Any]


def _step(tool: Tool, from_stage: str, to_stage: str) -> Step:
    return {"tool": str(tool.code), "tool_name": tool.name, "from": from_stage, "to": to_stage}


def _to_adopted(tool: Tool, usage: ToolUsage | None) -> list[Step]:
    if usage is None:
        return [_step(tool, "", Stage.CONSIDERED), _step(tool, Stage.CONSIDERED, Stage.ADOPTED)]
    if usage.stage == Stage.ADOPTED:
        return []
    if usage.stage == Stage.ABANDONED:
        return [_step(tool, Stage.ABANDONED, Stage.CONSIDERED), _step(tool, Stage.CONSIDERED, Stage.ADOPTED)]
    return [_step(tool, usage.stage, Stage.ADOPTED)]


def _to_retired(tool: Tool, usage: ToolUsage | None) -> list[Step]:
    if usage is None or usage.stage in (Stage.RETIRING, Stage.ABANDONED):
        return []
    if usage.stage == Stage.ADOPTED:
        return [_step(tool, Stage.ADOPTED, Stage.RETIRING)]
    return [_step(tool, usage.stage, Stage.ABANDONED)]


def plan_effects(*, proposal: Proposal, outcome: str, winning_option: Option | None) -> list[Step]:
    """The stack moves an outcome implies, given the stack as it is now (inside the close's transaction)."""
    if outcome != Outcome.ADOPTED or proposal.kind == ProposalKind.OTHER:
        return []
    association = proposal.association
    usages = {usage.tool_id: usage for usage in ToolUsage.objects.filter(association=association)}
    steps: list[Step] = []
    new_tool = winning_option.tool if winning_option is not None else None
    if proposal.kind in (ProposalKind.ADOPT, ProposalKind.REPLACE) and new_tool is not None:
        steps += _to_adopted(new_tool, usages.get(new_tool.pk))
    old_tool = proposal.current_tool
    # A replacement whose winning option names no tool ("keep what we have") retires nothing.
    replaced = proposal.kind == ProposalKind.REPLACE and new_tool is not None and new_tool != old_tool
    if old_tool is not None and (replaced or proposal.kind == ProposalKind.RETIRE):
        steps += _to_retired(old_tool, usages.get(old_tool.pk))
    return steps


@dataclass(frozen=True)
class DecisionAccess(Access):
    """The authority a recorded decision acts with on the stack: the board's rights, no person.

    The stack services take an `Access`; a decision is not a member, so it carries an unsaved
    board membership and no user (the stack history shows no author, and the decision's code).
    """

    @property
    def user(self) -> User | None:
        return None


def decision_access(association: Association) -> Access:
    return DecisionAccess(association=association, membership=Membership(association=association, role=Role.BOARD))


def apply_decision(decision: Decision) -> None:
    """Perform `decision.effect` through the stack services. Raises what they raise (the close rolls back)."""
    from shared_tools import services as stack

    if not decision.effect:
        return
    association = decision.proposal.association
    access = decision_access(association)
    reason = _("Decision no. %(sequence)s of the register: “%(title)s”") % {
        "sequence": decision.sequence,
        "title": decision.proposal.title,
    }
    tools = {str(tool.code): tool for tool in Tool.objects.filter(code__in=[s["tool"] for s in decision.effect])}
    for step in decision.effect:
        tool = tools[step["tool"]]
        if step["from"] == "":
            stack.add_tool_to_stack(access=access, tool=tool, stage=step["to"], reason=reason)
            continue
        usage = ToolUsage.objects.get(association=association, tool=tool)
        stack.change_stage(access=access, usage=usage, to_stage=step["to"], reason=reason, decision_code=decision.code)
