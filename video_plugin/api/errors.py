"""Every job API error as ``{"error": {"code": ..., "message": ...}}``, whatever raised it."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class TooManyJobsInFlight(exceptions.APIException):
    """The organization has as many jobs queued or running as it may; answered with ``Retry-After``."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "too_many_jobs"

    def __init__(self, detail: str, retry_after_s: int) -> None:
        super().__init__(detail)
        self.wait = retry_after_s


class JobAlreadyFinished(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "job_finished"


class PageNotNarratable(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "page_not_narratable"


class RequestTooLarge(exceptions.APIException):
    """A body over ``API_MAX_BODY_BYTES`` (:mod:`video_plugin.api.parsers`)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """The one error shape of the API."""
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def flatten_messages(detail: Any) -> Any:
    """DRF's nested ``ErrorDetail`` lists as plain strings (one message per field)."""
    if isinstance(detail, dict):
        return {str(key): flatten_messages(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return " ".join(str(flatten_messages(item)) for item in detail)
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, reshaped: the status and headers it chose, our body."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "not found")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django's 500 handler takes over
    if isinstance(exc, exceptions.ValidationError):
        fields = flatten_messages(exc.detail)
        if not isinstance(fields, dict):
            fields = {"non_field_errors": fields}
        summary = "; ".join(f"{name}: {message}" for name, message in fields.items())
        response.data = error_body("invalid", f"the request is not valid: {summary}", fields)
    elif isinstance(exc, exceptions.APIException):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        response.data = error_body(str(code), flatten_messages(exc.detail))
    return response


# Token-authenticated like the rest of the API: without the exemption a POST here would get CSRF's HTML 403.
@csrf_exempt
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any path under the API that matches no endpoint."""
    return JsonResponse(
        error_body("not_found", f"no endpoint at {request.path}; see /api/video/v1/openapi.json"), status=404
    )
