"""The governance API (DRF), included by hub/api_urls.py: proposals, votes, comments, the register.

Everything lives under `associations/<association_slug>/`: `AssociationPermission` answers 404 to
outsiders (same body as a missing association) and 403 to members lacking the right; lookups go
through the association, inside its scope. Views are thin: an input serializer checks the shape,
a service decides (re-checking the same predicates as the pages) and writes, an output serializer
renders. A secret ballot is never shown with its voter: the API has no field that could say it.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.urls import path
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from hub.api import AssociationAPIView, errors, valid_data
from hub.api_support import SlugRelatedField, enum_field
from hub.markdown import render_markdown
from hub.models import Electorate, Threshold
from hub.permissions import Access
from shared_tools.models import Tool

from . import permissions, selectors, services
from .models import Choice, Decision, Method, Option, Outcome, Proposal, ProposalKind, Status
from .register import verify_register

app_name = "governance_api"


KindField = enum_field(ProposalKind, "ProposalKind")
MethodField = enum_field(Method, "VotingMethod")
StatusField = enum_field(Status, "ProposalStatus")
ElectorateField = enum_field(Electorate, "Electorate")
ThresholdField = enum_field(Threshold, "Majority")
ChoiceField = enum_field(Choice, "VoteChoice")
OutcomeField = enum_field(Outcome, "DecisionOutcome")


@extend_schema_field({"type": "string", "description": "Sanitised HTML rendered from the Markdown source."})
class MarkdownHTMLField(serializers.Field):
    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return str(render_markdown(value))


# Output serializers -------------------------------------------------------------------------


class ToolRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tool
        fields = ["code", "slug", "name"]
        read_only_fields = fields
        ref_name = "GovernanceToolRef"


class OptionSerializer(serializers.ModelSerializer):
    tool = ToolRefSerializer(read_only=True, allow_null=True)
    assessments = serializers.DictField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Option
        fields = ["code", "position", "label", "description", "tool", "assessments"]
        read_only_fields = fields


class RulesMixin(serializers.Serializer):
    electorate = ElectorateField(read_only=True)
    quorum_percent = serializers.IntegerField(read_only=True)
    threshold = ThresholdField(read_only=True)
    anonymous = serializers.BooleanField(read_only=True, help_text=gettext_lazy("Secret ballot."))
    results_hidden = serializers.BooleanField(read_only=True)
    allow_vote_change = serializers.BooleanField(read_only=True)
    reason_required = serializers.BooleanField(read_only=True)


class ProposalSummarySerializer(RulesMixin, serializers.Serializer):
    code = serializers.UUIDField(read_only=True)
    title = serializers.CharField(read_only=True)
    kind = KindField(read_only=True)
    method = MethodField(read_only=True)
    status = StatusField(read_only=True)
    author = serializers.CharField(source="author.display_name", read_only=True, allow_null=True, default=None)
    created_at = serializers.DateTimeField(read_only=True)
    opens_at = serializers.DateTimeField(read_only=True, allow_null=True)
    closes_at = serializers.DateTimeField(read_only=True, allow_null=True)
    elector_count = serializers.IntegerField(read_only=True)
    participation_count = serializers.IntegerField(read_only=True)
    is_elector = serializers.BooleanField(read_only=True, help_text=gettext_lazy("The caller may vote on it."))
    has_voted = serializers.BooleanField(read_only=True)
    outcome = serializers.SerializerMethodField()

    @extend_schema_field(OutcomeField(allow_null=True))
    def get_outcome(self, proposal: Proposal) -> str | None:
        decision = getattr(proposal, "decision", None) if proposal.status == Status.CLOSED else None
        return decision.outcome if decision is not None else None


class TallyCountsSerializer(serializers.Serializer):
    for_ = serializers.IntegerField(read_only=True)
    against = serializers.IntegerField(read_only=True)
    abstain = serializers.IntegerField(read_only=True)
    block = serializers.IntegerField(read_only=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["for"] = fields.pop("for_")  # `for` is a Python keyword
        return fields

    def to_representation(self, instance: Any) -> dict[str, int]:
        return {key: int(instance.get(key, 0)) for key in ("for", "against", "abstain", "block")}


class OptionCountSerializer(serializers.Serializer):
    code = serializers.UUIDField(source="option.code", read_only=True)
    label = serializers.CharField(source="option.label", read_only=True)  # type: ignore[assignment]
    count = serializers.IntegerField(read_only=True)


class TallySerializer(serializers.Serializer):
    final = serializers.BooleanField(source="is_final", read_only=True)
    electorate = serializers.IntegerField(source="result.electorate", read_only=True)
    participants = serializers.IntegerField(source="result.participants", read_only=True)
    expressed = serializers.IntegerField(source="result.expressed", read_only=True)
    quorum_met = serializers.BooleanField(source="result.quorum_met", read_only=True)
    outcome = OutcomeField(
        source="result.outcome", read_only=True, help_text=gettext_lazy("Provisional while the vote is open.")
    )
    counts = TallyCountsSerializer(source="result.counts", read_only=True)
    options = OptionCountSerializer(many=True, read_only=True)


class MyVoteSerializer(serializers.Serializer):
    voted_at = serializers.DateTimeField(read_only=True)
    choice = ChoiceField(
        source="ballot.choice",
        read_only=True,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("Null on a secret ballot: the app does not know which ballot is yours."),
    )
    options = serializers.ListField(
        child=serializers.UUIDField(), source="ballot.options", read_only=True, default=None
    )
    reason = serializers.CharField(source="ballot.reason", read_only=True, allow_null=True, default=None)


class AllowedSerializer(serializers.Serializer):
    vote = serializers.BooleanField(read_only=True)
    comment = serializers.BooleanField(read_only=True)
    edit = serializers.BooleanField(read_only=True)
    open = serializers.BooleanField(read_only=True)
    withdraw = serializers.BooleanField(read_only=True)
    close = serializers.BooleanField(read_only=True)


class ProposalDetailSerializer(ProposalSummarySerializer):
    body = serializers.CharField(read_only=True)
    body_html = MarkdownHTMLField(source="body")
    current_tool = ToolRefSerializer(read_only=True, allow_null=True)
    criteria = serializers.ListField(child=serializers.CharField(), read_only=True)
    options = OptionSerializer(many=True, read_only=True)
    decision = serializers.UUIDField(source="decision.code", read_only=True, allow_null=True, default=None)
    my_vote = serializers.SerializerMethodField()
    tally = serializers.SerializerMethodField()
    allowed = serializers.SerializerMethodField()

    @extend_schema_field(MyVoteSerializer(allow_null=True))
    def get_my_vote(self, proposal: Proposal) -> dict[str, Any] | None:
        mine = self.context["my_vote"]
        return MyVoteSerializer(mine).data if mine is not None else None

    @extend_schema_field(TallySerializer(allow_null=True, help_text=gettext_lazy("Null while results are hidden.")))
    def get_tally(self, proposal: Proposal) -> dict[str, Any] | None:
        tally = self.context["tally"]
        return TallySerializer(tally).data if tally is not None else None

    @extend_schema_field(AllowedSerializer)
    def get_allowed(self, proposal: Proposal) -> dict[str, Any]:
        return AllowedSerializer(self.context["allowed"]).data


class CommentSerializer(serializers.Serializer):
    code = serializers.UUIDField(read_only=True)
    author = serializers.CharField(source="author.display_name", read_only=True, allow_null=True, default=None)
    body = serializers.CharField(read_only=True)
    body_html = MarkdownHTMLField(source="body")
    created_at = serializers.DateTimeField(read_only=True)


class VoteResultSerializer(serializers.Serializer):
    voted_at = serializers.DateTimeField(source="participation.voted_at", read_only=True)
    changed = serializers.BooleanField(
        read_only=True, help_text=gettext_lazy("True when an earlier vote was replaced.")
    )
    receipt = serializers.CharField(
        read_only=True,
        help_text=gettext_lazy(
            "Secret ballots only, given once: keep it to check your ballot or change it before the close."
        ),
    )


class BallotCheckSerializer(serializers.Serializer):
    choice = ChoiceField(read_only=True)
    options = serializers.ListField(child=serializers.UUIDField(), read_only=True)
    reason = serializers.CharField(read_only=True)


class ProposalRefSerializer(serializers.ModelSerializer):
    kind = KindField(read_only=True)
    method = MethodField(read_only=True)

    class Meta:
        model = Proposal
        fields = ["code", "title", "kind", "method"]
        read_only_fields = fields


class OptionRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Option
        fields = ["code", "label"]
        read_only_fields = fields


class EffectStepSerializer(serializers.Serializer):
    tool = serializers.UUIDField(read_only=True)
    tool_name = serializers.CharField(read_only=True)
    from_stage = serializers.CharField(source="from", read_only=True, help_text=gettext_lazy("Empty: added."))
    to_stage = serializers.CharField(source="to", read_only=True)


class DecisionSerializer(serializers.ModelSerializer):
    proposal = ProposalRefSerializer(read_only=True)
    rules = serializers.SerializerMethodField()
    outcome = OutcomeField(read_only=True)
    winning_option = OptionRefSerializer(read_only=True, allow_null=True)
    tally = serializers.SerializerMethodField()
    effect = EffectStepSerializer(many=True, read_only=True)
    closed_by = serializers.CharField(source="closer", read_only=True)
    statement_author = serializers.CharField(source="statement_by", read_only=True)

    class Meta:
        model = Decision
        fields = [
            "code",
            "sequence",
            "proposal",
            "rules",
            "recorded_at",
            "closed_by",
            "electorate_size",
            "participants",
            "expressed",
            "quorum_met",
            "outcome",
            "winning_option",
            "tally",
            "effect",
            "statement",
            "statement_author",
            "statement_at",
            "previous_hash",
            "hash",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.DictField(help_text=gettext_lazy("electorate, quorum_percent, threshold, anonymous, …"))
    )
    def get_rules(self, decision: Decision) -> dict[str, Any]:
        p = decision.proposal
        return {
            "electorate": p.electorate,
            "quorum_percent": p.quorum_percent,
            "threshold": p.threshold,
            "anonymous": p.anonymous,
            "allow_vote_change": p.allow_vote_change,
            "opens_at": p.opens_at.isoformat() if p.opens_at else None,
            "closes_at": p.closes_at.isoformat() if p.closes_at else None,
        }

    @extend_schema_field(
        serializers.DictField(
            help_text=gettext_lazy("`counts` (for, against, abstain, block) and `options` (option code → votes).")
        )
    )
    def get_tally(self, decision: Decision) -> dict[str, Any]:
        return decision.tally


class BallotLineSerializer(serializers.Serializer):
    voter = serializers.CharField(read_only=True, allow_null=True, help_text=gettext_lazy("Null on a secret ballot."))
    choice = serializers.CharField(read_only=True)
    options = serializers.ListField(child=serializers.CharField(), read_only=True)
    reason = serializers.CharField(read_only=True)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["voter"] = data["voter"] or None
        return data


class DecisionDetailSerializer(DecisionSerializer):
    ballots = serializers.SerializerMethodField()
    voted = serializers.SerializerMethodField()

    class Meta(DecisionSerializer.Meta):
        fields = [*DecisionSerializer.Meta.fields, "ballots", "voted"]
        read_only_fields = fields

    @extend_schema_field(BallotLineSerializer(many=True))
    def get_ballots(self, decision: Decision) -> list[dict[str, Any]]:
        return list(BallotLineSerializer(self.context["ballots"], many=True).data)

    @extend_schema_field(
        serializers.ListField(child=serializers.CharField(), help_text=gettext_lazy("Names of the electors who voted."))
    )
    def get_voted(self, decision: Decision) -> list[str]:
        return self.context["voted"]


class VerificationSerializer(serializers.Serializer):
    ok = serializers.BooleanField(read_only=True)
    checked = serializers.IntegerField(read_only=True, help_text=gettext_lazy("Decisions checked."))
    latest_hash = serializers.CharField(read_only=True)
    broken_sequence = serializers.IntegerField(read_only=True, allow_null=True)
    broken_code = serializers.UUIDField(read_only=True, allow_null=True)
    reason = serializers.CharField(read_only=True)


# Input serializers: shapes only --------------------------------------------------------------


class OptionInputSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=200)  # type: ignore[assignment]
    description = serializers.CharField(max_length=5000, allow_blank=True, default="")
    tool = SlugRelatedField(
        slug_field="slug", queryset=Tool.objects.all(), allow_null=True, default=None, help_text="Catalogue slug."
    )
    assessments = serializers.DictField(child=serializers.CharField(max_length=500, allow_blank=True), default=dict)


class ProposalInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    kind = KindField(default=ProposalKind.OTHER)
    body = serializers.CharField(max_length=20000, allow_blank=True, default="")
    current_tool = SlugRelatedField(
        slug_field="slug", queryset=Tool.objects.all(), allow_null=True, default=None, help_text="Catalogue slug."
    )
    criteria = serializers.ListField(child=serializers.CharField(max_length=100), default=list, max_length=10)
    method = MethodField(default=Method.CONSENT)
    options = OptionInputSerializer(many=True, default=list)
    electorate = ElectorateField(required=False, help_text=gettext_lazy("Defaults to the association's setting."))
    quorum_percent = serializers.IntegerField(min_value=0, max_value=100, required=False)
    threshold = ThresholdField(required=False)
    anonymous = serializers.BooleanField(default=False)
    results_hidden = serializers.BooleanField(default=True)
    allow_vote_change = serializers.BooleanField(default=True)
    reason_required = serializers.BooleanField(default=False)
    opens_at = serializers.DateTimeField(allow_null=True, default=None)
    closes_at = serializers.DateTimeField(allow_null=True, default=None)


class ProposalUpdateSerializer(ProposalInputSerializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for field in fields.values():
            field.required = False
            field.default = serializers.empty
        return fields


class OpenInputSerializer(serializers.Serializer):
    opens_at = serializers.DateTimeField(allow_null=True, default=None)
    closes_at = serializers.DateTimeField(allow_null=True, default=None)


class VoteInputSerializer(serializers.Serializer):
    choice = ChoiceField(
        help_text=gettext_lazy("for/against/abstain/block on a consent vote; options or abstain else.")
    )
    options = serializers.ListField(child=serializers.UUIDField(), default=list, max_length=50)
    reason = serializers.CharField(max_length=2000, allow_blank=True, default="")
    receipt = serializers.CharField(
        max_length=100, allow_blank=True, default="", help_text=gettext_lazy("To change a secret ballot.")
    )


class ReceiptInputSerializer(serializers.Serializer):
    receipt = serializers.CharField(max_length=100)


class CommentInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=10000)


class StatementInputSerializer(serializers.Serializer):
    statement = serializers.CharField(max_length=10000)


def option_specs(rows: list[dict[str, Any]]) -> list[services.OptionSpec]:
    return [
        services.OptionSpec(
            label=row["label"], description=row["description"], tool=row["tool"], assessments=row["assessments"]
        )
        for row in rows
    ]


# Views -------------------------------------------------------------------------------------

TAGS = ["governance"]


class GovernanceAPIView(AssociationAPIView):
    def get_proposal(self, code: UUID) -> Proposal:
        try:
            return selectors.proposal_detail(self.access, code)
        except Proposal.DoesNotExist as exc:
            raise exceptions.NotFound() from exc

    def get_decision(self, code: UUID) -> Decision:
        try:
            return selectors.decision_detail(self.access.association, code)
        except Decision.DoesNotExist as exc:
            raise exceptions.NotFound() from exc


def proposal_payload(access: Access, proposal: Proposal) -> dict[str, Any]:
    """The detail body, with the caller's own state; read again after a write."""
    proposal = selectors.proposal_detail(access, proposal.code)
    elector = selectors.elector_of(proposal, access)
    context = {
        "my_vote": selectors.my_vote(proposal, elector),
        "tally": selectors.running_tally(proposal) if permissions.can_see_results(access, proposal) else None,
        "allowed": {
            "vote": permissions.can_cast_vote(access, proposal, elector),
            "comment": permissions.can_comment(access, proposal),
            "edit": permissions.can_edit_proposal(access, proposal),
            "open": permissions.can_publish_proposal(access, proposal),
            "withdraw": permissions.can_withdraw_proposal(access, proposal),
            "close": permissions.can_close_proposal(access, proposal),
        },
    }
    return dict(ProposalDetailSerializer(proposal, context=context).data)


class ProposalListView(GovernanceAPIView):
    """Proposals of the association, newest first; members with the right (or the board) draft new ones."""

    required_permissions = {"GET": "governance.proposals:view", "POST": "governance.proposals:view"}

    @extend_schema(
        tags=TAGS,
        parameters=[
            OpenApiParameter("status", str, enum=Status.values, description="Only proposals in this state."),
            OpenApiParameter("to_vote", bool, description="Only open votes awaiting the caller's ballot."),
        ],
        responses={200: ProposalSummarySerializer(many=True), **errors(400, 401, 404)},
    )
    def get(self, request: Request, association_slug: str) -> Response:
        rows = selectors.proposals_of(self.access)
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in Status.values:
                raise exceptions.ValidationError({"status": [f"One of {', '.join(Status.values)}."]})
            rows = rows.filter(status=wanted)
        if request.query_params.get("to_vote") in ("1", "true"):
            rows = rows.filter(status=Status.OPEN, is_elector=True, has_voted=False)  # type: ignore[misc]
        return self.paginated(rows, ProposalSummarySerializer)

    @extend_schema(
        tags=TAGS,
        request=ProposalInputSerializer,
        responses={201: ProposalDetailSerializer, **errors(400, 401, 403, 404)},
        description="Creates a draft; open the vote with `open/`.",
    )
    def post(self, request: Request, association_slug: str) -> Response:
        data = valid_data(ProposalInputSerializer, request)
        data["options"] = option_specs(data["options"])
        proposal = services.create_proposal(access=self.access, **data)
        return Response(proposal_payload(self.access, proposal), status=status.HTTP_201_CREATED)


class ProposalDetailView(GovernanceAPIView):
    """One proposal: rules, options, the caller's vote, the tally when visible, what the caller may do."""

    required_permissions = {"GET": "governance.proposals:view", "PATCH": "governance.proposals:view"}

    @extend_schema(tags=TAGS, responses={200: ProposalDetailSerializer, **errors(401, 404)})
    def get(self, request: Request, association_slug: str, code: UUID) -> Response:
        return Response(proposal_payload(self.access, self.get_proposal(code)))

    @extend_schema(
        tags=TAGS,
        request=ProposalUpdateSerializer,
        responses={200: ProposalDetailSerializer, **errors(400, 401, 403, 404)},
        description="Drafts only. `options`, when sent, replace all the options.",
    )
    def patch(self, request: Request, association_slug: str, code: UUID) -> Response:
        proposal = self.get_proposal(code)
        data = valid_data(ProposalUpdateSerializer, request)
        options = option_specs(data.pop("options")) if "options" in data else None
        proposal = services.update_proposal(access=self.access, proposal=proposal, options=options, **data)
        return Response(proposal_payload(self.access, proposal))


class ProposalOpenView(GovernanceAPIView):
    """Open the vote on a draft: the electorate is fixed now and told."""

    required_permissions = {"POST": "governance.proposals:view"}

    @extend_schema(
        tags=TAGS, request=OpenInputSerializer, responses={200: ProposalDetailSerializer, **errors(400, 401, 403, 404)}
    )
    def post(self, request: Request, association_slug: str, code: UUID) -> Response:
        proposal = self.get_proposal(code)
        data = valid_data(OpenInputSerializer, request)
        proposal = services.open_proposal(access=self.access, proposal=proposal, **data)
        return Response(proposal_payload(self.access, proposal))


class ProposalWithdrawView(GovernanceAPIView):
    """Withdraw a draft (its author or the board) or an open vote (the board); nothing is counted."""

    required_permissions = {"POST": "governance.proposals:view"}

    @extend_schema(tags=TAGS, request=None, responses={200: ProposalDetailSerializer, **errors(400, 401, 403, 404)})
    def post(self, request: Request, association_slug: str, code: UUID) -> Response:
        proposal = services.withdraw_proposal(access=self.access, proposal=self.get_proposal(code))
        return Response(proposal_payload(self.access, proposal))


class ProposalCloseView(GovernanceAPIView):
    """Close an open vote before its deadline (the board) and record the decision."""

    required_permissions = {"POST": "governance.proposals:close"}

    @extend_schema(tags=TAGS, request=None, responses={200: DecisionSerializer, **errors(400, 401, 403, 404)})
    def post(self, request: Request, association_slug: str, code: UUID) -> Response:
        proposal = self.get_proposal(code)
        decision = services.close_proposal(proposal_id=proposal.pk, access=self.access)
        if decision is None:
            raise exceptions.ValidationError(gettext_lazy("This vote is already closed."))
        return Response(DecisionSerializer(self.get_decision(decision.code)).data)


class VoteView(GovernanceAPIView):
    """Cast or change the caller's vote. Electors only, while the vote is open."""

    required_permissions = {"POST": "governance.votes:cast"}

    @extend_schema(
        tags=TAGS,
        request=VoteInputSerializer,
        responses={200: VoteResultSerializer, 201: VoteResultSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, association_slug: str, code: UUID) -> Response:
        proposal = self.get_proposal(code)
        data = valid_data(VoteInputSerializer, request)
        cast = services.cast_vote(
            access=self.access,
            proposal=proposal,
            choice=data["choice"],
            options=[str(option) for option in data["options"]],
            reason=data["reason"],
            receipt=data["receipt"],
        )
        return Response(
            VoteResultSerializer(cast).data, status=status.HTTP_200_OK if cast.changed else status.HTTP_201_CREATED
        )


class BallotCheckView(GovernanceAPIView):
    """What the secret ballot a receipt designates says (only its holder knows the receipt)."""

    required_permissions = {"POST": "governance.proposals:view"}

    @extend_schema(
        tags=TAGS, request=ReceiptInputSerializer, responses={200: BallotCheckSerializer, **errors(400, 401, 404)}
    )
    def post(self, request: Request, association_slug: str, code: UUID) -> Response:
        proposal = self.get_proposal(code)
        ballot = selectors.ballot_by_receipt(proposal, valid_data(ReceiptInputSerializer, request)["receipt"])
        if ballot is None:
            raise exceptions.NotFound()
        return Response(BallotCheckSerializer(ballot).data)


class TallyView(GovernanceAPIView):
    """The count so far (if the rules show it before the close) or the final one."""

    required_permissions = {"GET": "governance.proposals:view"}

    @extend_schema(tags=TAGS, responses={200: TallySerializer, **errors(401, 403, 404)})
    def get(self, request: Request, association_slug: str, code: UUID) -> Response:
        proposal = self.get_proposal(code)
        if not permissions.can_see_results(self.access, proposal):
            raise exceptions.PermissionDenied(gettext_lazy("The results are hidden until the vote closes."))
        return Response(TallySerializer(selectors.running_tally(proposal)).data)


class CommentListView(GovernanceAPIView):
    """The discussion of a proposal, oldest first; members post while it is in preparation or open."""

    required_permissions = {"GET": "governance.proposals:view", "POST": "governance.comments:write"}

    @extend_schema(tags=TAGS, responses={200: CommentSerializer(many=True), **errors(401, 404)})
    def get(self, request: Request, association_slug: str, code: UUID) -> Response:
        return self.paginated(selectors.comments_of(self.get_proposal(code)), CommentSerializer)

    @extend_schema(
        tags=TAGS, request=CommentInputSerializer, responses={201: CommentSerializer, **errors(400, 401, 403, 404)}
    )
    def post(self, request: Request, association_slug: str, code: UUID) -> Response:
        proposal = self.get_proposal(code)
        data = valid_data(CommentInputSerializer, request)
        comment = services.add_comment(access=self.access, proposal=proposal, body=data["body"])
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class DecisionListView(GovernanceAPIView):
    """The register: every decision, newest first."""

    required_permissions = {"GET": "governance.decisions:view"}

    @extend_schema(tags=TAGS, responses={200: DecisionSerializer(many=True), **errors(401, 404)})
    def get(self, request: Request, association_slug: str) -> Response:
        return self.paginated(selectors.register_of(self.access.association), DecisionSerializer)


class DecisionDetailView(GovernanceAPIView):
    """One decision, with who voted what (named votes) or the unnamed ballots (secret votes)."""

    required_permissions = {"GET": "governance.decisions:view"}

    @extend_schema(tags=TAGS, responses={200: DecisionDetailSerializer, **errors(401, 404)})
    def get(self, request: Request, association_slug: str, code: UUID) -> Response:
        decision = self.get_decision(code)
        context = {
            "ballots": selectors.ballot_lines(decision.proposal),
            "voted": selectors.voter_names(decision.proposal),
        }
        return Response(DecisionDetailSerializer(decision, context=context).data)


class StatementView(GovernanceAPIView):
    """Write the outcome statement of a decision (the board, once; outside the hash)."""

    required_permissions = {"POST": "governance.decisions:write"}

    @extend_schema(
        tags=TAGS, request=StatementInputSerializer, responses={200: DecisionSerializer, **errors(400, 401, 403, 404)}
    )
    def post(self, request: Request, association_slug: str, code: UUID) -> Response:
        decision = self.get_decision(code)
        data = valid_data(StatementInputSerializer, request)
        services.record_statement(access=self.access, decision=decision, statement=data["statement"])
        return Response(DecisionSerializer(self.get_decision(code)).data)


class RegisterVerificationView(GovernanceAPIView):
    """Check the register's hash chain now; names the first broken decision if any."""

    required_permissions = {"GET": "governance.decisions:view"}

    @extend_schema(tags=TAGS, responses={200: VerificationSerializer, **errors(401, 404)})
    def get(self, request: Request, association_slug: str) -> Response:
        return Response(VerificationSerializer(verify_register(self.access.association)).data)


ASSOCIATION = "associations/<slug:association_slug>/"
PROPOSAL = f"{ASSOCIATION}proposals/<uuid:code>/"

urlpatterns = [
    path(f"{ASSOCIATION}proposals/", ProposalListView.as_view(), name="proposal-list"),
    path(PROPOSAL, ProposalDetailView.as_view(), name="proposal-detail"),
    path(f"{PROPOSAL}open/", ProposalOpenView.as_view(), name="proposal-open"),
    path(f"{PROPOSAL}withdraw/", ProposalWithdrawView.as_view(), name="proposal-withdraw"),
    path(f"{PROPOSAL}close/", ProposalCloseView.as_view(), name="proposal-close"),
    path(f"{PROPOSAL}vote/", VoteView.as_view(), name="proposal-vote"),
    path(f"{PROPOSAL}ballot-check/", BallotCheckView.as_view(), name="proposal-ballot-check"),
    path(f"{PROPOSAL}tally/", TallyView.as_view(), name="proposal-tally"),
    path(f"{PROPOSAL}comments/", CommentListView.as_view(), name="proposal-comments"),
    path(f"{ASSOCIATION}decisions/", DecisionListView.as_view(), name="decision-list"),
    path(f"{ASSOCIATION}decisions/verify/", RegisterVerificationView.as_view(), name="decision-verify"),
    path(f"{ASSOCIATION}decisions/<uuid:code>/", DecisionDetailView.as_view(), name="decision-detail"),
    path(f"{ASSOCIATION}decisions/<uuid:code>/statement/", StatementView.as_view(), name="decision-statement"),
]
