"""What every endpoint of API v1 shares: authentication, errors, pagination, ordering, ids.

The API calls the same services as the pages (`kpi.services`, `kpi.access`,
`kpi.assessments`); this module only turns their answers into HTTP:

- `common.errors.ConflictError` → 409 with the version now saved and what changed;
- `common.errors.StorageUnavailable` (the evidence disk is full or read-only) → 503 with
  ``{"detail": …, "code": "storage_full" | "storage_read_only" | "storage_error"}`` and
  Retry-After: the server's trouble, not the request's (see `storage_unavailable_response`);
- any other `django.core.exceptions.ValidationError` → 400 with the services' zh-Hant
  messages per field (`inputs.budget` becomes ``{"inputs": {"budget": [...]}}``);
- `PermissionDenied` → 403 and `Http404` → 404 (DRF's own handling), ``{"detail": …}``;
- a body over Django's limits (`DATA_UPLOAD_MAX_MEMORY_SIZE` for JSON and form data, the
  number of fields or files of a form) → 413 ``{"detail": …}`` naming the limit, not
  Django's HTML page for a SuspiciousOperation. Files of a multipart body are not part of
  that limit: evidence has its own (`EVIDENCE_MAX_BYTES`, checked by the service).
  Every operation that takes a body documents the 413 (`document_body_limits`).

Every query parameter is checked before it reaches a query: a bad number, an unknown
value or a Gregorian year is a 400 naming the parameter, never a 500.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from common.api.tokens import ApiTokenAuthentication
from common.errors import ConflictError, StorageUnavailable
from common.numbers import MAX_ID, NotANumber, bounded_int, shown
from common.wording import join_list

NON_FIELD = "non_field_errors"


# --- Errors ---------------------------------------------------------------------------


def _plain(value):
    """A value of a report field as JSON can carry it (Decimal → number)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def conflict_body(exc: ConflictError) -> dict:
    return {
        "detail": exc.messages[0] if exc.messages else "",
        "current_version": exc.current_version,
        "current_status": exc.current_status,
        "changes": {
            name: {"current": _plain(theirs), "yours": _plain(yours)} for name, (theirs, yours) in exc.changes.items()
        },
    }


def validation_body(exc: DjangoValidationError) -> dict:
    """A service's ValidationError as field errors; ``inputs.<key>`` nests under ``inputs``."""
    if not hasattr(exc, "error_dict"):
        return {NON_FIELD: list(exc.messages)}
    body: dict = {}
    for key, messages in exc.message_dict.items():
        if key.startswith("inputs.") or key == "inputs":
            inputs = body.setdefault("inputs", {})
            inputs.setdefault(key.partition(".")[2] or NON_FIELD, []).extend(messages)
        elif key == NON_FIELD_ERRORS:
            body.setdefault(NON_FIELD, []).extend(messages)
        else:
            body.setdefault(key, []).extend(messages)
    return body


# Seconds a client should wait before sending a refused upload again.
STORAGE_RETRY_AFTER = 300


def storage_unavailable_response(exc: StorageUnavailable) -> Response:
    """503, not 507 Insufficient Storage: 507 is WebDAV's and names only a full disk, while the
    same answer must cover a read-only or failing one; every HTTP client, proxy and retry
    library knows 503 + Retry-After as "the server cannot take this now, send it again later",
    which is what the client should do. `code` says which of the three it was."""
    return Response(
        {"detail": exc.detail, "code": f"storage_{exc.reason}"},
        status=503,
        headers={"Retry-After": str(STORAGE_RETRY_AFTER)},
    )


def body_limit_message(exc: Exception) -> str:
    """What a client is told when Django refuses a request body as too large."""
    if isinstance(exc, TooManyFieldsSent):
        return _("The request has more than the limit of %(limit)s fields; send less at once.") % {
            "limit": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        }
    if isinstance(exc, TooManyFilesSent):
        return _("The request has more than the limit of %(limit)s files; send less at once.") % {
            "limit": settings.DATA_UPLOAD_MAX_NUMBER_FILES
        }
    return _("The request body is over the limit of %(limit)s MB; send less at once.") % {
        "limit": f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1048576:g}"
    }


def api_exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        # Django raises these from request.data (a SuspiciousOperation: its HTML 400 otherwise).
        return Response({"detail": body_limit_message(exc)}, status=413)
    if isinstance(exc, StorageUnavailable):
        set_rollback()
        return storage_unavailable_response(exc)
    if isinstance(exc, ConflictError):
        set_rollback()
        return Response(conflict_body(exc), status=409)
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        return Response(validation_body(exc), status=400)
    return exception_handler(exc, context)


def param_error(name: str, message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({name: [message]})


# --- The views' common ground -------------------------------------------------------------


class ApiMixin:
    """An API token first (so that an anonymous caller gets 401 with ``WWW-Authenticate: Token``;
    django-rest-knox's, see common/api/tokens.py), then the browser's session; signed-in users
    only unless a view opts out."""

    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    def get_exception_handler(self):
        return api_exception_handler


# --- Pagination -----------------------------------------------------------------------------


class Pagination(PageNumberPagination):
    """``?page=`` (from 1) and ``?page_size=`` (1–500, default 50); anything else is a 400."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw.strip() == "":
            return self.page_size
        try:
            return bounded_int(raw, minimum=1, maximum=self.max_page_size)
        except NotANumber:
            raise param_error(
                "page_size",
                _("“%(value)s” is not a whole number; the page size is from 1 to %(max)s.")
                % {"value": shown(raw), "max": self.max_page_size},
            ) from None
        except ValueError:
            raise param_error(
                "page_size", _("The page size is from 1 to %(max)s.") % {"max": self.max_page_size}
            ) from None

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and raw.strip() != "":
            try:
                number = bounded_int(raw, minimum=-MAX_ID, maximum=MAX_ID)
            except NotANumber:
                raise param_error(
                    "page", _("“%(value)s” is not a page number; pages start at 1.") % {"value": shown(raw)}
                ) from None
            except ValueError:
                # Far past the last page: "not found", as any page past the last is (DRF's 404).
                raise exceptions.NotFound(self.invalid_page_message) from None
            if number < 1:
                raise param_error("page", _("Pages start at 1."))
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["allowEmptyValue"] = True  # empty: the first page, the default size
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size, default=self.page_size)
        return parameters


# --- Filters ------------------------------------------------------------------------------


class FilterBackend(DjangoFilterBackend):
    """django-filter, as the views use it: an empty parameter (``?year=``) filters nothing."""


class FilterBackendSchema(DjangoFilterExtension):
    """Say so in the schema: every filter parameter may be sent empty (``allowEmptyValue``)."""

    target_class = FilterBackend
    priority = 1

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        parameters = super().get_schema_operation_parameters(auto_schema, *args, **kwargs)
        for parameter in parameters:
            parameter["allowEmptyValue"] = True
        return parameters


def or_empty(schema: dict) -> dict:
    """A query parameter's schema that also admits the empty value (``?year=`` means "any")."""
    return {"anyOf": [schema, {"type": "string", "maxLength": 0}]}


# --- Ordering -------------------------------------------------------------------------------


class StrictOrderingFilter(OrderingFilter):
    """DRF's OrderingFilter with the view's explicit `ordering_fields`, and a 400 for any other.

    `ordering_fields` maps the name a client sends to the model paths it orders by, e.g.
    ``{"period": ("period__end_date", "period__number")}``; ``-name`` reverses it and
    names combine with commas. The primary key always breaks ties, so pages are stable.
    """

    def _fields(self, view) -> dict[str, tuple[str, ...]]:
        fields = getattr(view, "ordering_fields", None) or {}
        return {name: (paths if isinstance(paths, tuple | list) else (paths,)) for name, paths in fields.items()}

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        if raw is None or raw.strip() == "":
            ordering = list(self.get_default_ordering(view) or [])
        else:
            fields = self._fields(view)
            ordering = []
            for term in (t.strip() for t in raw.split(",")):
                name = term.removeprefix("-")
                if name not in fields:
                    raise param_error(
                        self.ordering_param,
                        _("Cannot sort by “%(term)s”; the fields available: %(fields)s (a leading - sorts descending).")
                        % {"term": term, "fields": join_list(fields)},
                    )
                sign = "-" if term.startswith("-") else ""
                ordering += [f"{sign}{path}" for path in fields[name]]
        if not any(o.lstrip("-") in ("pk", "id") for o in ordering):
            ordering.append("id")
        return ordering

    def get_schema_operation_parameters(self, view):
        names = "|".join(re.escape(n) for n in self._fields(view))
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "allowEmptyValue": True,
                "in": "query",
                "description": (
                    f"Sort by {', '.join(self._fields(view))}; prefix with - for descending, combine with commas."
                ),
                "schema": {"type": "string", "pattern": f"^-?({names})(,-?({names}))*$"},
            }
        ]


# --- Schema helpers -------------------------------------------------------------------------


# A text without NUL (DRF's CharField refuses it: no database text holds one), as a pattern.
# Not empty either: for a field that may be blank drf-spectacular adds `oneOf` the empty
# string, and "" must not match both.
NO_NUL = "^[^\\u0000]+$"


def schema_field(field_class: type, schema: dict) -> type:
    """A subclass of `field_class` that the schema shows as `schema` (its help text still
    becomes the description).

    `extend_schema_field` on a field *instance* is lost: a serializer deep-copies its declared
    fields, and DRF's deep copy builds a new instance of the class from the arguments. On a
    class of its own the schema stays.
    """
    return extend_schema_field(schema)(type(field_class.__name__, (field_class,), {}))


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField(
        help_text="What went wrong, in the language asked for (zh-Hant unless the language cookie says en)."
    )


ERROR_400 = OpenApiResponse(
    response={
        "type": "object",
        "description": "Field errors: each field (or parameter) → its messages; `inputs` nests per input; "
        "`non_field_errors` for the report as a whole.",
        "additionalProperties": {
            "oneOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": "string"}},
                {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            ]
        },
    },
    description="Invalid input or parameter",
)
ERROR_401 = OpenApiResponse(
    DetailSerializer,
    description="Not signed in, or the token expired or was revoked (send `Authorization: Token <key>`)",
)
ERROR_403 = OpenApiResponse(DetailSerializer, description="Not allowed")
ERROR_404 = OpenApiResponse(DetailSerializer, description="Not found, or not visible to you")


class ChangeSerializer(serializers.Serializer):
    current = serializers.JSONField(allow_null=True, help_text="The value saved now.")
    yours = serializers.JSONField(allow_null=True, help_text="The value you sent.")


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    current_version = serializers.IntegerField(help_text="Send this version to save over it after checking.")
    current_status = serializers.CharField()
    changes = serializers.DictField(child=ChangeSerializer(), help_text="field → {current, yours}")


ERROR_409 = OpenApiResponse(ConflictSerializer, description="Someone saved the report since your copy")


class StorageErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.ChoiceField(choices=["storage_full", "storage_read_only", "storage_error"])


ERROR_503 = OpenApiResponse(
    StorageErrorSerializer, description="The file could not be stored (disk full or read-only); retry later"
)

# Ids in paths: the <id:…> converter (common.converters) accepts only these, so say so (drf-spectacular would see a string).
ID_PATH = OpenApiParameter(
    "id", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, OpenApiParameter.PATH, description="The id."
)

ERROR_413 = {
    "description": "The request body is over the server's limit",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"detail": {"type": "string", "description": "Which limit, in the language asked for."}},
                "required": ["detail"],
            }
        }
    },
}


def document_body_limits(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation that takes a body may answer 413."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                operation.setdefault("responses", {}).setdefault("413", ERROR_413)
    return result


READ_ERRORS = {401: ERROR_401, 403: ERROR_403}
LIST_ERRORS = {400: ERROR_400, 401: ERROR_401, 403: ERROR_403, 404: ERROR_404}
DETAIL_ERRORS = {401: ERROR_401, 403: ERROR_403, 404: ERROR_404}
WRITE_ERRORS = {400: ERROR_400, 401: ERROR_401, 403: ERROR_403, 404: ERROR_404, 409: ERROR_409}
