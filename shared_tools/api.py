"""The shared_tools API (DRF), included by hub/api_urls.py.

- The catalogue (`tools/`) is public, like its pages: anyone may read and search it.
- Tool proposals: members propose from one of their associations; the author lists their own;
  platform staff and conseillers list the pending ones, approve or decline them.
- Stacks and referents live under `associations/<association_slug>/`: `AssociationPermission`
  answers 404 to outsiders (same body as a missing association) and 403 to members lacking the
  right; every lookup goes through `access.association`, inside the association's scope.

Views are thin: an input serializer checks the shape, a service decides and writes, an output
serializer renders.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from hub.api import AssociationAPIView, HubAPIView, errors, signed_in_user, valid_data
from hub.api_support import OptionalURLField, Pagination, SlugRelatedField, enum_field
from hub.markdown import render_markdown
from hub.models import Membership

from . import selectors, services
from .diagnostic.questionnaire import load_questionnaire
from .filters import ToolFilter
from .models import (
    Assessment,
    AssessmentSource,
    Category,
    ContentLicence,
    DataLocation,
    EaseOfUse,
    FreeSoftware,
    KnowHowLevel,
    KnowHowRisk,
    Pricing,
    ProposalStatus,
    Referent,
    RoadmapStep,
    SillStatus,
    Source,
    Stage,
    StepLink,
    StepStatus,
    Tool,
    ToolKind,
    ToolProposal,
    ToolUsage,
    ToolUsageChange,
    Tutorial,
    TutorialAnswer,
    TutorialAudience,
    TutorialLevel,
    TutorialQuestion,
    TutorialStatus,
    TutorialStep,
    TutorialVisibility,
    Visibility,
)
from .permissions import can_moderate_proposals

app_name = "shared_tools_api"


StageField = enum_field(Stage, "ToolStage")
VisibilityField = enum_field(Visibility, "StackVisibility")
LevelField = enum_field(KnowHowLevel, "KnowHowLevel")
RiskField = enum_field(KnowHowRisk, "KnowHowRisk")
FreeSoftwareField = enum_field(FreeSoftware, "FreeSoftware")
ToolKindField = enum_field(ToolKind, "ToolKind")
DataLocationField = enum_field(DataLocation, "DataLocation")
PricingField = enum_field(Pricing, "Pricing")
EaseField = enum_field(EaseOfUse, "EaseOfUse")
ProposalStatusField = enum_field(ProposalStatus, "ToolProposalStatus")
SourceField = enum_field(Source, "CatalogueSource")
SillStatusField = enum_field(SillStatus, "SillStatus")


# Output serializers: the catalogue ---------------------------------------------------------------


class CategoryRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["slug", "name"]
        read_only_fields = fields


class ToolRefSerializer(serializers.ModelSerializer):
    free_software = FreeSoftwareField(read_only=True)

    class Meta:
        model = Tool
        fields = ["slug", "name", "free_software"]
        read_only_fields = fields


class ToolSummarySerializer(serializers.ModelSerializer):
    kind = ToolKindField(read_only=True)
    free_software = FreeSoftwareField(read_only=True)
    data_location = DataLocationField(read_only=True)
    pricing = PricingField(read_only=True)
    ease_of_use = EaseField(read_only=True)
    categories = CategoryRefSerializer(many=True, read_only=True)
    website = OptionalURLField(read_only=True, allow_null=True)
    sill_status = SillStatusField(
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("Null when the tool is not in the SILL, the French State's recommended free software."),
    )

    class Meta:
        model = Tool
        fields = [
            "slug",
            "name",
            "kind",
            "short_description",
            "website",
            "licence",
            "free_software",
            "data_location",
            "pricing",
            "ease_of_use",
            "sill_status",
            "categories",
        ]
        read_only_fields = fields


class RelatedToolSerializer(serializers.Serializer):
    tool = ToolRefSerializer(read_only=True)
    note = serializers.CharField(read_only=True)


class ToolRelationsSerializer(serializers.Serializer):
    alternatives = RelatedToolSerializer(
        many=True, read_only=True, help_text=gettext_lazy("Tools that can replace this one, free software first.")
    )
    replaces = RelatedToolSerializer(many=True, read_only=True, help_text=gettext_lazy("Tools this one can replace."))
    similar = RelatedToolSerializer(many=True, read_only=True)
    plugins = RelatedToolSerializer(many=True, read_only=True)
    plugin_of = RelatedToolSerializer(many=True, read_only=True)
    instances = RelatedToolSerializer(
        many=True, read_only=True, help_text=gettext_lazy("Online services that run this software.")
    )
    instance_of = RelatedToolSerializer(many=True, read_only=True)


class ProvenanceSerializer(serializers.Serializer):
    source = SourceField(read_only=True)  # type: ignore[assignment]
    record_id = serializers.CharField(read_only=True)
    imported_at = serializers.DateTimeField(read_only=True)


class ToolUserSerializer(serializers.ModelSerializer):
    """An association that shows the viewer its use of the tool."""

    association = serializers.CharField(source="association.name", read_only=True)
    commune = serializers.CharField(source="association.commune", read_only=True)
    stage = StageField(read_only=True)

    class Meta:
        model = ToolUsage
        fields = ["association", "commune", "stage", "purpose", "since", "satisfaction"]
        read_only_fields = fields


class ToolDetailSerializer(ToolSummarySerializer):
    provenance = ProvenanceSerializer(many=True, read_only=True)
    relations = ToolRelationsSerializer(read_only=True)
    used_by = ToolUserSerializer(
        many=True,
        read_only=True,
        help_text=gettext_lazy(
            "Associations whose use of the tool the caller may see: public ones, those of the caller's "
            "networks when they chose it, and the caller's own."
        ),
    )

    class Meta(ToolSummarySerializer.Meta):
        fields = [
            *ToolSummarySerializer.Meta.fields,
            "licence_raw",
            "platforms",
            "hosting_options",
            "accessibility_notes",
            "discontinued",
            "provenance",
            "relations",
            "used_by",
        ]
        read_only_fields = fields


# Output serializers: proposals -------------------------------------------------------------------


class ToolProposalSerializer(serializers.ModelSerializer):
    category = CategoryRefSerializer(read_only=True, allow_null=True)
    free_software = FreeSoftwareField(read_only=True)
    status = ProposalStatusField(read_only=True)
    # Not read-only so that the schema shows them as optional: they are left out for conseillers,
    # who moderate proposals from associations that may not have accepted their network.
    association = serializers.CharField(
        source="association.name",
        allow_null=True,
        required=False,
        help_text=gettext_lazy("Shown to the author and to platform staff."),
    )
    proposed_by = serializers.CharField(
        source="proposed_by.display_name",
        allow_null=True,
        required=False,
        help_text=gettext_lazy("Shown to the author and to platform staff."),
    )
    possible_duplicates = ToolRefSerializer(
        many=True,
        read_only=True,
        help_text=gettext_lazy("Catalogue tools with a similar name when the proposal was made."),
    )
    tool = ToolRefSerializer(read_only=True, allow_null=True, help_text=gettext_lazy("The tool created on approval."))
    website = OptionalURLField(read_only=True, allow_null=True)

    class Meta:
        model = ToolProposal
        fields = [
            "code",
            "name",
            "website",
            "description",
            "category",
            "free_software",
            "association",
            "proposed_by",
            "created_at",
            "possible_duplicates",
            "status",
            "reviewed_at",
            "rejection_reason",
            "tool",
        ]
        read_only_fields = fields


class ToolProposalForReviewSerializer(ToolProposalSerializer):
    association = None  # type: ignore[assignment]
    proposed_by = None  # type: ignore[assignment]

    class Meta(ToolProposalSerializer.Meta):
        fields = [name for name in ToolProposalSerializer.Meta.fields if name not in ("association", "proposed_by")]
        read_only_fields = fields


def proposal_serializer_for(user: Any, proposal: ToolProposal | None = None) -> type[ToolProposalSerializer]:
    """Who proposed a tool, and from where, is shown to its author and to platform staff only."""
    if user.is_staff or (proposal is not None and proposal.proposed_by_id == user.pk):
        return ToolProposalSerializer
    return ToolProposalForReviewSerializer


# Output serializers: stacks and know-how ---------------------------------------------------------


class StackEntrySerializer(serializers.ModelSerializer):
    tool = ToolRefSerializer(read_only=True)
    stage = StageField(read_only=True)
    next_stages = serializers.ListField(
        child=StageField(),
        read_only=True,
        help_text=gettext_lazy("Stages the tool may move to from its current one."),
    )
    visibility = VisibilityField(read_only=True)
    know_how_risk = RiskField(
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("For an adopted tool that nobody, or a single person, masters."),
    )

    class Meta:
        model = ToolUsage
        fields = [
            "code",
            "tool",
            "stage",
            "next_stages",
            "purpose",
            "since",
            "until",
            "yearly_cost",
            "paid_by",
            "satisfaction",
            "review_on",
            "visibility",
            "know_how_risk",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class StackChangeSerializer(serializers.ModelSerializer):
    tool = ToolRefSerializer(source="usage.tool", read_only=True)
    usage = serializers.UUIDField(source="usage.code", read_only=True)
    from_stage = StageField(read_only=True, allow_null=True, help_text=gettext_lazy("Null when the tool was added."))
    to_stage = StageField(read_only=True)
    changed_by = serializers.CharField(source="changed_by.display_name", read_only=True, allow_null=True)
    decision_code = serializers.UUIDField(
        read_only=True, allow_null=True, help_text=gettext_lazy("The decision that caused the change, if any.")
    )

    class Meta:
        model = ToolUsageChange
        fields = [
            "code",
            "usage",
            "tool",
            "from_stage",
            "to_stage",
            "changed_by",
            "changed_at",
            "reason",
            "decision_code",
        ]
        read_only_fields = fields


class PersonSerializer(serializers.ModelSerializer):
    """A member as the know-how lists show them."""

    display_name = serializers.CharField(source="user.display_name", read_only=True)

    class Meta:
        model = Membership
        fields = ["code", "display_name"]
        read_only_fields = fields


class ReferentSerializer(serializers.ModelSerializer):
    tool = ToolRefSerializer(read_only=True)
    member = PersonSerializer(source="membership", read_only=True)
    level = LevelField(read_only=True)
    backup = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Referent
        fields = ["code", "tool", "member", "level", "backup", "note", "updated_at"]
        read_only_fields = fields


# Input serializers: shapes only; the services decide --------------------------------------------


class ToolProposalCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    website = serializers.URLField(max_length=500, allow_blank=True, default="")
    description = serializers.CharField(max_length=2000, help_text=gettext_lazy("What the tool is for."))
    category = SlugRelatedField(slug_field="slug", queryset=Category.objects.all(), allow_null=True, default=None)
    free_software = FreeSoftwareField(default=FreeSoftware.UNKNOWN)


class ProposalRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text=gettext_lazy("Shown to the member who proposed it."))


class StackEntryFieldsSerializer(serializers.Serializer):
    purpose = serializers.CharField(max_length=2000, allow_blank=True, required=False)
    since = serializers.DateField(allow_null=True, required=False)
    until = serializers.DateField(allow_null=True, required=False)
    yearly_cost = serializers.DecimalField(
        max_digits=9, decimal_places=2, min_value=0, allow_null=True, required=False, help_text=gettext_lazy("Euros.")
    )
    paid_by = serializers.CharField(max_length=200, allow_blank=True, required=False)
    satisfaction = serializers.IntegerField(min_value=1, max_value=5, allow_null=True, required=False)
    review_on = serializers.DateField(allow_null=True, required=False)
    visibility = VisibilityField(required=False)


class StackEntryCreateSerializer(StackEntryFieldsSerializer):
    tool = SlugRelatedField(slug_field="slug", queryset=Tool.objects.all())
    stage = StageField(default=Stage.CONSIDERED)
    reason = serializers.CharField(max_length=2000, allow_blank=True, default="")


class StageChangeSerializer(serializers.Serializer):
    to_stage = StageField()
    reason = serializers.CharField(max_length=2000, help_text=gettext_lazy("Why, for the stack's history."))


class StackQuerySerializer(serializers.Serializer):
    stage = StageField(required=False)


class ReferentCreateSerializer(serializers.Serializer):
    tool = SlugRelatedField(slug_field="slug", queryset=Tool.objects.all())
    level = LevelField()
    member = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("The member's code; the caller when left out. Only the board declares for others."),
    )
    backup = serializers.UUIDField(
        required=False, allow_null=True, default=None, help_text=gettext_lazy("The backup member's code.")
    )
    note = serializers.CharField(max_length=300, allow_blank=True, default="")


class ReferentUpdateSerializer(serializers.Serializer):
    level = LevelField(required=False)
    backup = serializers.UUIDField(required=False, allow_null=True)
    note = serializers.CharField(max_length=300, allow_blank=True, required=False)


# The catalogue -----------------------------------------------------------------------------------


class ToolListView(generics.ListAPIView):
    """Search the catalogue (public). Discontinued tools are left out."""

    authentication_classes = HubAPIView.authentication_classes
    permission_classes = (AllowAny,)
    pagination_class = Pagination
    serializer_class = ToolSummarySerializer
    filterset_class = ToolFilter

    def get_queryset(self) -> QuerySet[Tool]:
        return selectors.catalogue_tools()

    @extend_schema(tags=["catalogue"], responses={200: ToolSummarySerializer(many=True), **errors(400)})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class ToolDetailView(HubAPIView):
    """One tool of the catalogue (public): relations both ways, provenance, and who uses it."""

    permission_classes = (AllowAny,)

    @extend_schema(tags=["catalogue"], responses={200: ToolDetailSerializer, **errors(404)})
    def get(self, request: Request, slug: str) -> Response:
        try:
            tool = selectors.tool_by_slug(slug=slug)
        except Tool.DoesNotExist as exc:
            raise exceptions.NotFound() from exc
        tool.relations = selectors.relations_of(tool=tool)  # type: ignore[attr-defined]
        tool.used_by = list(selectors.visible_usages(tool=tool, user=request.user))  # type: ignore[attr-defined]
        return Response(ToolDetailSerializer(tool).data)


# Proposals ---------------------------------------------------------------------------------------


def moderator(request: Request) -> Any:
    user = signed_in_user(request)
    if not can_moderate_proposals(user):
        raise exceptions.PermissionDenied()
    return user


class ProposalCreateView(AssociationAPIView):
    """Propose a tool missing from the catalogue; similar names already there are flagged."""

    required_permissions = {"POST": "shared_tools.tools:propose"}

    @extend_schema(
        tags=["tool proposals"],
        request=ToolProposalCreateSerializer,
        responses={201: ToolProposalSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, association_slug: str) -> Response:
        proposal = services.propose_tool(access=self.access, **valid_data(ToolProposalCreateSerializer, request))
        proposal = selectors.proposal_for(user=signed_in_user(request), code=str(proposal.code), moderator=False)
        return Response(ToolProposalSerializer(proposal).data, status=status.HTTP_201_CREATED)


class ProposalListView(HubAPIView):
    """The caller's own proposals, newest first."""

    @extend_schema(tags=["tool proposals"], responses={200: ToolProposalSerializer(many=True), **errors(401)})
    def get(self, request: Request) -> Response:
        return self.paginated(selectors.proposals_of(user=signed_in_user(request)), ToolProposalSerializer)


class PendingProposalListView(HubAPIView):
    """Proposals waiting for review, oldest first (platform staff and conseillers)."""

    @extend_schema(tags=["tool proposals"], responses={200: ToolProposalSerializer(many=True), **errors(401, 403)})
    def get(self, request: Request) -> Response:
        user = moderator(request)
        return self.paginated(selectors.pending_proposals(), proposal_serializer_for(user))


def visible_proposal(request: Request, code: UUID) -> ToolProposal:
    user = signed_in_user(request)
    try:
        return selectors.proposal_for(user=user, code=str(code), moderator=can_moderate_proposals(user))
    except ToolProposal.DoesNotExist as exc:
        raise exceptions.NotFound() from exc


def proposal_response(request: Request, proposal: ToolProposal) -> Response:
    return Response(proposal_serializer_for(request.user, proposal)(proposal).data)


class ProposalDetailView(HubAPIView):
    """One proposal, for its author and for moderators."""

    @extend_schema(tags=["tool proposals"], responses={200: ToolProposalSerializer, **errors(401, 404)})
    def get(self, request: Request, code: UUID) -> Response:
        return proposal_response(request, visible_proposal(request, code))


class ProposalApproveView(HubAPIView):
    """Add the proposed tool to the catalogue (platform staff and conseillers)."""

    @extend_schema(
        tags=["tool proposals"], request=None, responses={200: ToolProposalSerializer, **errors(400, 401, 403, 404)}
    )
    def post(self, request: Request, code: UUID) -> Response:
        user = moderator(request)
        services.approve_proposal(user=user, proposal=visible_proposal(request, code))
        return proposal_response(request, visible_proposal(request, code))


class ProposalRejectView(HubAPIView):
    """Decline a proposal with a reason (platform staff and conseillers)."""

    @extend_schema(
        tags=["tool proposals"],
        request=ProposalRejectSerializer,
        responses={200: ToolProposalSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, code: UUID) -> Response:
        user = moderator(request)
        data = valid_data(ProposalRejectSerializer, request)
        services.reject_proposal(user=user, proposal=visible_proposal(request, code), reason=data["reason"])
        return proposal_response(request, visible_proposal(request, code))


# Stacks ------------------------------------------------------------------------------------------


class StackAPIView(AssociationAPIView):
    def get_usage(self, code: UUID) -> ToolUsage:
        try:
            return selectors.usage_in(self.access.association, code=str(code))
        except ToolUsage.DoesNotExist as exc:
            raise exceptions.NotFound() from exc

    def entry(self, usage: ToolUsage) -> Response:
        # Read back through the selector so that the answer carries `know_how_risk`.
        return Response(StackEntrySerializer(self.get_usage(usage.code)).data)


class StackListView(StackAPIView):
    """The association's tools by name (members and conseillers); the board adds tools."""

    required_permissions = {"GET": "shared_tools.stack:view", "POST": "shared_tools.stack:change"}

    @extend_schema(
        tags=["stack"],
        parameters=[OpenApiParameter("stage", enum=Stage.values, description="Only the tools at this stage.")],
        responses={200: StackEntrySerializer(many=True), **errors(400, 401, 404)},
    )
    def get(self, request: Request, association_slug: str) -> Response:
        query = StackQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        usages = selectors.stack_of(self.access.association)
        if query.validated_data.get("stage"):
            usages = usages.filter(stage=query.validated_data["stage"])
        return self.paginated(usages, StackEntrySerializer)

    @extend_schema(
        tags=["stack"],
        request=StackEntryCreateSerializer,
        responses={201: StackEntrySerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, association_slug: str) -> Response:
        usage = services.add_tool_to_stack(access=self.access, **valid_data(StackEntryCreateSerializer, request))
        response = self.entry(usage)
        response.status_code = status.HTTP_201_CREATED
        return response


class StackDetailView(StackAPIView):
    """One tool of the stack; the board edits it, or deletes it while it has no stage change."""

    required_permissions = {
        "GET": "shared_tools.stack:view",
        "PATCH": "shared_tools.stack:change",
        "DELETE": "shared_tools.stack:change",
    }

    @extend_schema(tags=["stack"], responses={200: StackEntrySerializer, **errors(401, 404)})
    def get(self, request: Request, association_slug: str, code: UUID) -> Response:
        return Response(StackEntrySerializer(self.get_usage(code)).data)

    @extend_schema(
        tags=["stack"],
        request=StackEntryFieldsSerializer,
        responses={200: StackEntrySerializer, **errors(400, 401, 403, 404)},
    )
    def patch(self, request: Request, association_slug: str, code: UUID) -> Response:
        usage = self.get_usage(code)
        data = valid_data(StackEntryFieldsSerializer, request)
        usage = services.update_usage(access=self.access, usage=usage, **data)
        return self.entry(usage)

    @extend_schema(tags=["stack"], responses={204: None, **errors(400, 401, 403, 404)})
    def delete(self, request: Request, association_slug: str, code: UUID) -> Response:
        services.remove_from_stack(access=self.access, usage=self.get_usage(code))
        return Response(status=status.HTTP_204_NO_CONTENT)


class StageChangeView(StackAPIView):
    """Move a tool to another stage of its lifecycle, saying why (board and administrators)."""

    required_permissions = {"POST": "shared_tools.stack:change"}

    @extend_schema(
        tags=["stack"],
        request=StageChangeSerializer,
        responses={200: StackEntrySerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, association_slug: str, code: UUID) -> Response:
        usage = self.get_usage(code)
        data = valid_data(StageChangeSerializer, request)
        usage = services.change_stage(access=self.access, usage=usage, to_stage=data["to_stage"], reason=data["reason"])
        return self.entry(usage)


class UsageHistoryView(StackAPIView):
    """One tool's history in the stack, newest first."""

    required_permissions = {"GET": "shared_tools.stack:view"}

    @extend_schema(
        tags=["stack"],
        operation_id="v1_associations_stack_usage_history_list",
        responses={200: StackChangeSerializer(many=True), **errors(401, 404)},
    )
    def get(self, request: Request, association_slug: str, code: UUID) -> Response:
        usage = self.get_usage(code)
        return self.paginated(selectors.usage_history(usage).select_related("usage__tool"), StackChangeSerializer)


class StackHistoryView(StackAPIView):
    """The whole stack's history, newest first."""

    required_permissions = {"GET": "shared_tools.stack:view"}

    @extend_schema(tags=["stack"], responses={200: StackChangeSerializer(many=True), **errors(401, 404)})
    def get(self, request: Request, association_slug: str) -> Response:
        return self.paginated(selectors.stack_history(self.access.association), StackChangeSerializer)


# Referents ---------------------------------------------------------------------------------------


class ReferentAPIView(AssociationAPIView):
    def member(self, code: UUID | None, field: str) -> Membership | None:
        if code is None:
            return None
        membership = self.access.association.memberships.filter(code=code, is_active=True).first()
        if membership is None:
            raise exceptions.ValidationError({field: [_("No active member of the association has this code.")]})
        return membership

    def get_referent(self, code: UUID) -> Referent:
        return get_object_or_404(selectors.referents_in(self.access.association), code=code)


class ReferentListView(ReferentAPIView):
    """Who knows which tool of the stack; members declare their own know-how, the board anyone's."""

    required_permissions = {"GET": "shared_tools.stack:view", "POST": "shared_tools.referents:declare"}

    @extend_schema(tags=["referents"], responses={200: ReferentSerializer(many=True), **errors(401, 404)})
    def get(self, request: Request, association_slug: str) -> Response:
        return self.paginated(selectors.referents_in(self.access.association), ReferentSerializer)

    @extend_schema(
        tags=["referents"],
        request=ReferentCreateSerializer,
        responses={201: ReferentSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, association_slug: str) -> Response:
        data = valid_data(ReferentCreateSerializer, request)
        referent = services.declare_referent(
            access=self.access,
            tool=data["tool"],
            level=data["level"],
            membership=self.member(data["member"], "member"),
            backup=self.member(data["backup"], "backup"),
            note=data["note"],
        )
        return Response(ReferentSerializer(self.get_referent(referent.code)).data, status=status.HTTP_201_CREATED)


class ReferentDetailView(ReferentAPIView):
    """One member's know-how of one tool; they (or the board) change or remove it."""

    required_permissions = {
        "GET": "shared_tools.stack:view",
        "PATCH": "shared_tools.referents:declare",
        "DELETE": "shared_tools.referents:declare",
    }

    @extend_schema(tags=["referents"], responses={200: ReferentSerializer, **errors(401, 404)})
    def get(self, request: Request, association_slug: str, code: UUID) -> Response:
        return Response(ReferentSerializer(self.get_referent(code)).data)

    @extend_schema(
        tags=["referents"],
        request=ReferentUpdateSerializer,
        responses={200: ReferentSerializer, **errors(400, 401, 403, 404)},
    )
    def patch(self, request: Request, association_slug: str, code: UUID) -> Response:
        referent = self.get_referent(code)
        data = valid_data(ReferentUpdateSerializer, request)
        backup = self.member(data["backup"], "backup") if "backup" in data else referent.backup
        services.update_referent(
            access=self.access,
            referent=referent,
            level=data.get("level", referent.level),
            backup=backup,
            note=data.get("note", referent.note),
        )
        return Response(ReferentSerializer(self.get_referent(code)).data)

    @extend_schema(tags=["referents"], responses={204: None, **errors(401, 403, 404)})
    def delete(self, request: Request, association_slug: str, code: UUID) -> Response:
        services.remove_referent(access=self.access, referent=self.get_referent(code))
        return Response(status=status.HTTP_204_NO_CONTENT)


ASSOCIATION = "associations/<slug:association_slug>/"

urlpatterns = [
    path("tools/", ToolListView.as_view(), name="tool-list"),
    path("tools/<slug:slug>/", ToolDetailView.as_view(), name="tool-detail"),
    path("tool-proposals/", ProposalListView.as_view(), name="tool-proposal-list"),
    path("tool-proposals/pending/", PendingProposalListView.as_view(), name="tool-proposal-pending"),
    path("tool-proposals/<uuid:code>/", ProposalDetailView.as_view(), name="tool-proposal-detail"),
    path("tool-proposals/<uuid:code>/approve/", ProposalApproveView.as_view(), name="tool-proposal-approve"),
    path("tool-proposals/<uuid:code>/reject/", ProposalRejectView.as_view(), name="tool-proposal-reject"),
    path(f"{ASSOCIATION}tool-proposals/", ProposalCreateView.as_view(), name="tool-proposal-create"),
    path(f"{ASSOCIATION}stack/", StackListView.as_view(), name="stack-list"),
    path(f"{ASSOCIATION}stack/history/", StackHistoryView.as_view(), name="stack-history"),
    path(f"{ASSOCIATION}stack/<uuid:code>/", StackDetailView.as_view(), name="stack-detail"),
    path(f"{ASSOCIATION}stack/<uuid:code>/stage/", StageChangeView.as_view(), name="stack-stage"),
    path(f"{ASSOCIATION}stack/<uuid:code>/history/", UsageHistoryView.as_view(), name="stack-usage-history"),
    path(f"{ASSOCIATION}referents/", ReferentListView.as_view(), name="referent-list"),
    path(f"{ASSOCIATION}referents/<uuid:code>/", ReferentDetailView.as_view(), name="referent-detail"),
]


# Tutorials ---------------------------------------------------------------------------------------
#
# Readers go through `selectors.visible_tutorials`, on the public endpoints as on the pages: an
# association-only tutorial is a 404 to anyone outside the association. Under
# `associations/<association_slug>/tutorials/`, `<code>` names one of that association's own
# tutorials, except for `copy/`, whose source is any tutorial the caller may read.

TutorialLevelField = enum_field(TutorialLevel, "TutorialLevel")
TutorialAudienceField = enum_field(TutorialAudience, "TutorialAudience")
TutorialLicenceField = enum_field(ContentLicence, "TutorialLicence")
TutorialStatusField = enum_field(TutorialStatus, "TutorialStatus")
TutorialVisibilityField = enum_field(TutorialVisibility, "TutorialVisibility")


class CopiedFromSerializer(serializers.Serializer):
    code = serializers.UUIDField(source="copied_from_code", read_only=True)
    title = serializers.CharField(source="copied_from_title", read_only=True)
    association = serializers.CharField(source="copied_from_association", read_only=True)


class TutorialStepSerializer(serializers.ModelSerializer):
    body_html = serializers.SerializerMethodField(
        help_text=gettext_lazy("The Markdown rendered to sanitised HTML, as the pages show it.")
    )
    image_url = serializers.SerializerMethodField(
        help_text=gettext_lazy("Served only to those who may read the tutorial; null without an image.")
    )

    class Meta:
        model = TutorialStep
        fields = ["code", "position", "body", "body_html", "image_url", "image_alt"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_body_html(self, step: TutorialStep) -> str:
        return str(render_markdown(step.body))

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_image_url(self, step: TutorialStep) -> str | None:
        if not step.image:
            return None
        code = self.context["tutorial_code"]
        return reverse("frontend:tutorial_step_image", kwargs={"code": code, "step_code": step.code})


class TutorialSummarySerializer(serializers.ModelSerializer):
    association = serializers.CharField(source="association.name", read_only=True)
    author = serializers.CharField(source="author.display_name", read_only=True, allow_null=True)
    tools = ToolRefSerializer(many=True, read_only=True)
    level = TutorialLevelField(read_only=True)
    audience = TutorialAudienceField(read_only=True)
    licence = TutorialLicenceField(read_only=True)
    status = TutorialStatusField(read_only=True)
    visibility = TutorialVisibilityField(read_only=True)
    copied_from = serializers.SerializerMethodField(help_text=gettext_lazy("The original of a copy, else null."))

    class Meta:
        model = Tutorial
        fields = [
            "code",
            "title",
            "summary",
            "association",
            "author",
            "tools",
            "level",
            "audience",
            "estimated_minutes",
            "licence",
            "status",
            "visibility",
            "helped_count",
            "copied_from",
            "created_at",
            "updated_at",
            "published_at",
        ]
        read_only_fields = fields

    @extend_schema_field(CopiedFromSerializer(allow_null=True))
    def get_copied_from(self, tutorial: Tutorial) -> dict[str, Any] | None:
        return CopiedFromSerializer(tutorial).data if tutorial.copied_from_code else None


class TutorialDetailSerializer(TutorialSummarySerializer):
    steps = serializers.SerializerMethodField()

    class Meta(TutorialSummarySerializer.Meta):
        fields = [*TutorialSummarySerializer.Meta.fields, "steps"]
        read_only_fields = fields

    @extend_schema_field(TutorialStepSerializer(many=True))
    def get_steps(self, tutorial: Tutorial) -> Any:
        # `with_steps` prefetched them in order.
        return TutorialStepSerializer(tutorial.steps.all(), many=True, context={"tutorial_code": tutorial.code}).data


class TutorialAnswerSerializer(serializers.ModelSerializer):
    author = serializers.CharField(
        source="author.display_name",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("Null for a former member."),
    )

    class Meta:
        model = TutorialAnswer
        fields = ["code", "body", "author", "created_at"]
        read_only_fields = fields


class TutorialQuestionSerializer(serializers.ModelSerializer):
    author = serializers.CharField(
        source="author.display_name",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("Null for a former member."),
    )
    answers = TutorialAnswerSerializer(many=True, read_only=True)

    class Meta:
        model = TutorialQuestion
        fields = ["code", "body", "author", "created_at", "answers"]
        read_only_fields = fields


class HelpedSerializer(serializers.Serializer):
    helped_count = serializers.IntegerField(read_only=True)


class TutorialQuerySerializer(serializers.Serializer):
    tool = SlugRelatedField(slug_field="slug", queryset=Tool.objects.all(), required=False)
    level = TutorialLevelField(required=False)
    audience = TutorialAudienceField(required=False)
    q = serializers.CharField(max_length=200, required=False, allow_blank=True)


class TutorialStepInputSerializer(serializers.Serializer):
    code = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("An existing step's code keeps its image; left out, the step is new."),
    )
    body = serializers.CharField(max_length=10000, allow_blank=True, help_text=gettext_lazy("Markdown."))
    image_alt = serializers.CharField(max_length=300, allow_blank=True, default="")
    remove_image = serializers.BooleanField(default=False)


STEPS_HELP = gettext_lazy(
    "The whole list of steps, in order: it replaces the current one. Empty steps are dropped. "
    "Step images are uploaded through the page editor only; a step sent with its `code` keeps its image."
)


class TutorialWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(max_length=2000, allow_blank=True, required=False)
    tools = SlugRelatedField(slug_field="slug", queryset=Tool.objects.all(), many=True, required=False)
    level = TutorialLevelField(required=False)
    audience = TutorialAudienceField(required=False)
    estimated_minutes = serializers.IntegerField(min_value=1, max_value=600, allow_null=True, required=False)
    licence = TutorialLicenceField(required=False)
    visibility = TutorialVisibilityField(
        required=False, help_text=gettext_lazy("Who can read it once published; the association only by default.")
    )
    steps = serializers.ListField(
        child=TutorialStepInputSerializer(),
        max_length=services.MAX_STEPS,
        help_text=STEPS_HELP,
    )


class TutorialUpdateSerializer(TutorialWriteSerializer):
    """Every field optional: what is left out keeps its current value (steps too)."""

    title = serializers.CharField(max_length=200, required=False)
    steps = serializers.ListField(
        child=TutorialStepInputSerializer(),
        max_length=services.MAX_STEPS,
        required=False,
        help_text=STEPS_HELP,
    )


class TextInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=4000, help_text=gettext_lazy("Markdown."))


def _step_inputs(steps: list[dict[str, Any]]) -> list[services.StepInput]:
    return [
        services.StepInput(
            body=step["body"], code=step["code"], remove_image=step["remove_image"], image_alt=step["image_alt"]
        )
        for step in steps
    ]


def _tutorial_fields(data: dict[str, Any], current: Tutorial | None = None) -> dict[str, Any]:
    """The service's keyword arguments: what `data` leaves out comes from `current`, else the defaults."""
    fields: dict[str, Any] = {}
    if current is not None:
        fields = {
            "title": current.title,
            "summary": current.summary,
            "tools": list(current.tools.all()),
            "level": current.level,
            "audience": current.audience,
            "estimated_minutes": current.estimated_minutes,
            "licence": current.licence,
            "visibility": current.visibility,
            "steps": [
                services.StepInput(body=step.body, code=step.code, image_alt=step.image_alt)
                for step in current.steps.all()
            ],
        }
    for name, value in data.items():
        fields[name] = _step_inputs(value) if name == "steps" else value
    return fields


TUTORIAL_FILTERS = [
    OpenApiParameter("tool", description="A tool's slug: only the tutorials about it."),
    OpenApiParameter("level", enum=TutorialLevel.values),
    OpenApiParameter("audience", enum=TutorialAudience.values),
    OpenApiParameter("q", description="Words to search in the title and steps (best match first)."),
]


class TutorialLibraryView(HubAPIView):
    """The published tutorials the caller may read (anonymous callers: the public ones), newest first."""

    permission_classes = (AllowAny,)

    @extend_schema(
        tags=["tutorials"],
        parameters=TUTORIAL_FILTERS,
        responses={200: TutorialSummarySerializer(many=True), **errors(400)},
    )
    def get(self, request: Request) -> Response:
        query = TutorialQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        tutorials = selectors.library(
            user=request.user,
            tool=filters.get("tool"),
            level=filters.get("level", ""),
            audience=filters.get("audience", ""),
            text=filters.get("q", ""),
        )
        return self.paginated(tutorials, TutorialSummarySerializer)


class TutorialReadView(HubAPIView):
    """One tutorial the caller may read, with its steps."""

    permission_classes = (AllowAny,)

    @extend_schema(tags=["tutorials"], responses={200: TutorialDetailSerializer, **errors(404)})
    def get(self, request: Request, code: UUID) -> Response:
        try:
            tutorial = selectors.visible_tutorial(user=request.user, code=str(code))
        except Tutorial.DoesNotExist as exc:
            raise exceptions.NotFound() from exc
        return Response(TutorialDetailSerializer(tutorial).data)


class AssociationTutorialAPIView(AssociationAPIView):
    def get_tutorial(self, code: UUID) -> Tutorial:
        tutorial = selectors.with_steps(self.access.association.tutorials.all()).filter(code=code).first()
        if tutorial is None:
            raise exceptions.NotFound()
        return tutorial

    def detail(self, code: UUID, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(TutorialDetailSerializer(self.get_tutorial(code)).data, status=status_code)


class AssociationTutorialListView(AssociationTutorialAPIView):
    """The association's tutorials, drafts included, last changed first; members write new ones."""

    required_permissions = {"GET": "shared_tools.tutorials:view", "POST": "shared_tools.tutorials:write"}

    @extend_schema(tags=["tutorials"], responses={200: TutorialSummarySerializer(many=True), **errors(401, 404)})
    def get(self, request: Request, association_slug: str) -> Response:
        return self.paginated(selectors.tutorials_of(self.access.association), TutorialSummarySerializer)

    @extend_schema(
        tags=["tutorials"],
        request=TutorialWriteSerializer,
        responses={201: TutorialDetailSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, association_slug: str) -> Response:
        data = valid_data(TutorialWriteSerializer, request)
        tutorial = services.create_tutorial(access=self.access, **_tutorial_fields(data))
        return self.detail(tutorial.code, status.HTTP_201_CREATED)


class AssociationTutorialDetailView(AssociationTutorialAPIView):
    """One of the association's tutorials; its author (or the board) changes or deletes it."""

    required_permissions = {
        "GET": "shared_tools.tutorials:view",
        "PATCH": "shared_tools.tutorials:write",
        "DELETE": "shared_tools.tutorials:write",
    }

    @extend_schema(tags=["tutorials"], responses={200: TutorialDetailSerializer, **errors(401, 404)})
    def get(self, request: Request, association_slug: str, code: UUID) -> Response:
        return self.detail(code)

    @extend_schema(
        tags=["tutorials"],
        request=TutorialUpdateSerializer,
        responses={200: TutorialDetailSerializer, **errors(400, 401, 403, 404)},
    )
    def patch(self, request: Request, association_slug: str, code: UUID) -> Response:
        tutorial = self.get_tutorial(code)
        data = valid_data(TutorialUpdateSerializer, request)
        services.update_tutorial(access=self.access, tutorial=tutorial, **_tutorial_fields(data, tutorial))
        return self.detail(code)

    @extend_schema(tags=["tutorials"], responses={204: None, **errors(401, 403, 404)})
    def delete(self, request: Request, association_slug: str, code: UUID) -> Response:
        services.delete_tutorial(access=self.access, tutorial=self.get_tutorial(code))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TutorialPublishView(AssociationTutorialAPIView):
    """Publish a draft: readable as far as its visibility says. Publishing twice changes nothing."""

    required_permissions = {"POST": "shared_tools.tutorials:write"}

    @extend_schema(tags=["tutorials"], request=None, responses={200: TutorialDetailSerializer, **errors(401, 403, 404)})
    def post(self, request: Request, association_slug: str, code: UUID) -> Response:
        services.publish_tutorial(access=self.access, tutorial=self.get_tutorial(code))
        return self.detail(code)


class TutorialCopyView(AssociationTutorialAPIView):
    """Copy a tutorial the caller may read (from any association) into this one, as a draft."""

    required_permissions = {"POST": "shared_tools.tutorials:write"}

    @extend_schema(tags=["tutorials"], request=None, responses={201: TutorialDetailSerializer, **errors(401, 403, 404)})
    def post(self, request: Request, association_slug: str, code: UUID) -> Response:
        try:
            source = selectors.visible_tutorial(user=request.user, code=str(code))
        except Tutorial.DoesNotExist as exc:
            raise exceptions.NotFound() from exc
        copy = services.copy_tutorial(access=self.access, source=source)
        return self.detail(copy.code, status.HTTP_201_CREATED)


class TutorialHelpedView(AssociationTutorialAPIView):
    """“It helped me” on one of the association's published tutorials (once per person)."""

    required_permissions = {"POST": "shared_tools.tutorials:write"}

    @extend_schema(tags=["tutorials"], request=None, responses={200: HelpedSerializer, **errors(401, 403, 404)})
    def post(self, request: Request, association_slug: str, code: UUID) -> Response:
        count = services.mark_helped(user=signed_in_user(request), tutorial=self.get_tutorial(code))
        return Response(HelpedSerializer({"helped_count": count}).data)


class TutorialQuestionListView(AssociationTutorialAPIView):
    """Questions on one of the association's tutorials, oldest first, with their answers."""

    required_permissions = {"GET": "shared_tools.tutorials:view", "POST": "shared_tools.tutorials:write"}

    @extend_schema(tags=["tutorials"], responses={200: TutorialQuestionSerializer(many=True), **errors(401, 404)})
    def get(self, request: Request, association_slug: str, code: UUID) -> Response:
        return self.paginated(selectors.questions_on(self.get_tutorial(code)), TutorialQuestionSerializer)

    @extend_schema(
        tags=["tutorials"],
        request=TextInputSerializer,
        responses={201: TutorialQuestionSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, association_slug: str, code: UUID) -> Response:
        tutorial = self.get_tutorial(code)
        data = valid_data(TextInputSerializer, request)
        question = services.ask_question(user=signed_in_user(request), tutorial=tutorial, body=data["body"])
        question = selectors.questions_on(tutorial).get(pk=question.pk)
        return Response(TutorialQuestionSerializer(question).data, status=status.HTTP_201_CREATED)


class TutorialAnswerView(AssociationTutorialAPIView):
    """Answer a question: the tutorial's author, or a member who masters or can help with one of its tools."""

    required_permissions = {"POST": "shared_tools.tutorials:write"}

    @extend_schema(
        tags=["tutorials"],
        request=TextInputSerializer,
        responses={201: TutorialAnswerSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, association_slug: str, code: UUID) -> Response:
        question = (
            TutorialQuestion.objects.filter(association=self.access.association, code=code)
            .select_related("tutorial")
            .first()
        )
        if question is None:
            raise exceptions.NotFound()
        data = valid_data(TextInputSerializer, request)
        answer = services.answer_question(user=signed_in_user(request), question=question, body=data["body"])
        return Response(TutorialAnswerSerializer(answer).data, status=status.HTTP_201_CREATED)


TUTORIALS = f"{ASSOCIATION}tutorials/"

urlpatterns += [
    path("tutorials/", TutorialLibraryView.as_view(), name="tutorial-library"),
    path("tutorials/<uuid:code>/", TutorialReadView.as_view(), name="tutorial-read"),
    path(TUTORIALS, AssociationTutorialListView.as_view(), name="tutorial-list"),
    path(f"{TUTORIALS}questions/<uuid:code>/answers/", TutorialAnswerView.as_view(), name="tutorial-answer"),
    path(f"{TUTORIALS}<uuid:code>/", AssociationTutorialDetailView.as_view(), name="tutorial-detail"),
    path(f"{TUTORIALS}<uuid:code>/publish/", TutorialPublishView.as_view(), name="tutorial-publish"),
    path(f"{TUTORIALS}<uuid:code>/copy/", TutorialCopyView.as_view(), name="tutorial-copy"),
    path(f"{TUTORIALS}<uuid:code>/helped/", TutorialHelpedView.as_view(), name="tutorial-helped"),
    path(f"{TUTORIALS}<uuid:code>/questions/", TutorialQuestionListView.as_view(), name="tutorial-questions"),
]


# Diagnostic and roadmap --------------------------------------------------------------------------
#
# The questionnaire is public data (the current version). Diagnostics and roadmap steps live under
# `associations/<association_slug>/diagnostic/`: members and conseillers read, the board and
# administrators take the diagnostic and act on the steps.

AssessmentSourceField = enum_field(AssessmentSource, "AssessmentSource")
StepStatusField = enum_field(StepStatus, "RoadmapStepStatus")
StepLinkField = enum_field(StepLink, "RoadmapStepLink")


class QuestionnaireAnswerSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]
    points = serializers.IntegerField(read_only=True)


class QuestionnaireQuestionSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    text = serializers.CharField(read_only=True)
    help = serializers.CharField(read_only=True)
    answers = QuestionnaireAnswerSerializer(many=True, read_only=True)


class QuestionnaireDimensionSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    questions = QuestionnaireQuestionSerializer(many=True, read_only=True)


class QuestionnaireSerializer(serializers.Serializer):
    version = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    introduction = serializers.CharField(read_only=True)
    dimensions = QuestionnaireDimensionSerializer(many=True, read_only=True)


class AssessmentSerializer(serializers.ModelSerializer):
    source = AssessmentSourceField(read_only=True)  # type: ignore[assignment]
    recorded_by = serializers.CharField(source="taken_by.display_name", read_only=True, default=None, allow_null=True)
    scores = serializers.DictField(
        child=serializers.IntegerField(), read_only=True, help_text=gettext_lazy("Dimension id → score (0–100).")
    )

    class Meta:
        model = Assessment
        fields = ["code", "version", "taken_at", "recorded_by", "with_advisor", "source", "score", "scores"]
        read_only_fields = fields


class AssessmentDetailSerializer(AssessmentSerializer):
    answers = serializers.DictField(
        source="answer_ids",
        child=serializers.CharField(),
        read_only=True,
        help_text=gettext_lazy("Question id → answer id, in the questionnaire of `version`."),
    )

    class Meta(AssessmentSerializer.Meta):
        fields = [*AssessmentSerializer.Meta.fields, "answers"]
        read_only_fields = fields


class AssessmentCreateSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.CharField(max_length=80),
        help_text=gettext_lazy("Question id → answer id, for every question of the current version."),
    )
    with_advisor = serializers.BooleanField(default=False)
    source = AssessmentSourceField(default=AssessmentSource.ONLINE)  # type: ignore[assignment]


class RoadmapStepSerializer(serializers.ModelSerializer):
    status = StepStatusField(read_only=True)
    link_kind = StepLinkField(read_only=True)
    tool = ToolRefSerializer(read_only=True, allow_null=True)
    tutorial = serializers.UUIDField(source="tutorial.code", read_only=True, default=None, allow_null=True)

    class Meta:
        model = RoadmapStep
        fields = [
            "code",
            "key",
            "dimension",
            "title",
            "detail",
            "status",
            "postponed_until",
            "reason",
            "proposed_at",
            "link_kind",
            "tool",
            "tutorial",
            "search",
        ]
        read_only_fields = fields


class StepPostponeSerializer(serializers.Serializer):
    until = serializers.DateField()
    reason = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)


class StepDismissSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class QuestionnaireView(HubAPIView):
    """The current version of the diagnostic questionnaire (public data)."""

    permission_classes = (AllowAny,)

    @extend_schema(tags=["diagnostic"], responses={200: QuestionnaireSerializer})
    def get(self, request: Request) -> Response:
        return Response(QuestionnaireSerializer(load_questionnaire()).data)


class DiagnosticAPIView(AssociationAPIView):
    def get_assessment(self, code: UUID) -> Assessment:
        try:
            assessment = selectors.assessment_in(self.access.association, code=str(code))
        except Assessment.DoesNotExist as exc:
            raise exceptions.NotFound() from exc
        assessment.answer_ids = selectors.answers_of(assessment)  # type: ignore[attr-defined]
        return assessment

    def get_step(self, code: UUID) -> RoadmapStep:
        try:
            return selectors.step_in(self.access.association, code=str(code))
        except RoadmapStep.DoesNotExist as exc:
            raise exceptions.NotFound() from exc


class AssessmentListView(DiagnosticAPIView):
    """The association's diagnostics, newest first; the board records a new one."""

    required_permissions = {"GET": "shared_tools.diagnostic:view", "POST": "shared_tools.diagnostic:take"}

    @extend_schema(tags=["diagnostic"], responses={200: AssessmentSerializer(many=True), **errors(401, 404)})
    def get(self, request: Request, association_slug: str) -> Response:
        return self.paginated(selectors.assessments_of(self.access.association), AssessmentSerializer)

    @extend_schema(
        tags=["diagnostic"],
        request=AssessmentCreateSerializer,
        responses={201: AssessmentDetailSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, association_slug: str) -> Response:
        assessment = services.take_assessment(access=self.access, **valid_data(AssessmentCreateSerializer, request))
        return Response(
            AssessmentDetailSerializer(self.get_assessment(assessment.code)).data, status=status.HTTP_201_CREATED
        )


class AssessmentDetailView(DiagnosticAPIView):
    """One diagnostic with its answers (ids in the questionnaire of its own version)."""

    required_permissions = {"GET": "shared_tools.diagnostic:view"}

    @extend_schema(tags=["diagnostic"], responses={200: AssessmentDetailSerializer, **errors(401, 404)})
    def get(self, request: Request, association_slug: str, code: UUID) -> Response:
        return Response(AssessmentDetailSerializer(self.get_assessment(code)).data)


class RoadmapListView(DiagnosticAPIView):
    """The steps to do and the postponed ones, oldest first."""

    required_permissions = {"GET": "shared_tools.diagnostic:view"}

    @extend_schema(tags=["diagnostic"], responses={200: RoadmapStepSerializer(many=True), **errors(401, 404)})
    def get(self, request: Request, association_slug: str) -> Response:
        return self.paginated(selectors.roadmap_of(self.access.association), RoadmapStepSerializer)


class StepDoneView(DiagnosticAPIView):
    """Mark a step done: the next one is proposed."""

    required_permissions = {"POST": "shared_tools.diagnostic:take"}

    @extend_schema(
        tags=["diagnostic"], request=None, responses={200: RoadmapStepSerializer, **errors(400, 401, 403, 404)}
    )
    def post(self, request: Request, association_slug: str, code: UUID) -> Response:
        step = services.complete_step(access=self.access, step=self.get_step(code))
        return Response(RoadmapStepSerializer(step).data)


class StepPostponeView(DiagnosticAPIView):
    """Put a step aside until a date (it comes back on the list then)."""

    required_permissions = {"POST": "shared_tools.diagnostic:take"}

    @extend_schema(
        tags=["diagnostic"],
        request=StepPostponeSerializer,
        responses={200: RoadmapStepSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, association_slug: str, code: UUID) -> Response:
        step = self.get_step(code)
        data = valid_data(StepPostponeSerializer, request)
        step = services.postpone_step(access=self.access, step=step, until=data["until"], reason=data["reason"])
        return Response(RoadmapStepSerializer(step).data)


class StepDismissView(DiagnosticAPIView):
    """Drop a step for good, saying why; another one is proposed."""

    required_permissions = {"POST": "shared_tools.diagnostic:take"}

    @extend_schema(
        tags=["diagnostic"],
        request=StepDismissSerializer,
        responses={200: RoadmapStepSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, association_slug: str, code: UUID) -> Response:
        step = self.get_step(code)
        data = valid_data(StepDismissSerializer, request)
        step = services.dismiss_step(access=self.access, step=step, reason=data["reason"])
        return Response(RoadmapStepSerializer(step).data)


DIAGNOSTIC = f"{ASSOCIATION}diagnostic/"

urlpatterns += [
    path("diagnostic/questionnaire/", QuestionnaireView.as_view(), name="diagnostic-questionnaire"),
    path(f"{DIAGNOSTIC}assessments/", AssessmentListView.as_view(), name="assessment-list"),
    path(f"{DIAGNOSTIC}assessments/<uuid:code>/", AssessmentDetailView.as_view(), name="assessment-detail"),
    path(f"{DIAGNOSTIC}roadmap/", RoadmapListView.as_view(), name="roadmap-list"),
    path(f"{DIAGNOSTIC}roadmap/<uuid:code>/done/", StepDoneView.as_view(), name="roadmap-step-done"),
    path(f"{DIAGNOSTIC}roadmap/<uuid:code>/postpone/", StepPostponeView.as_view(), name="roadmap-step-postpone"),
    path(f"{DIAGNOSTIC}roadmap/<uuid:code>/dismiss/", StepDismissView.as_view(), name="roadmap-step-dismiss"),
]
