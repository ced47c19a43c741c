"""The job API's OpenAPI 3.1 document, served at ``/api/video/v1/openapi.json``.

Written by hand rather than generated: it is the public contract, and a test checks it against the routes
and, through schemathesis, against the responses.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse

from gpu_runner.protocol import (
    FORMATS,
    JOB_ID_PATTERN,
    LAYOUT_LABELS,
    LAYOUTS,
    MAX_SCRIPT_CHARS,
    MAX_VOICE_ID_CHARS,
    VOICE_ID_PATTERN,
)
from video_plugin.models import VideoJob

API_VERSION = "1.0.0"


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


JOB_ID = {
    "name": "job_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": f"^{JOB_ID_PATTERN}$"},
}
ID = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}

COMMON_ERRORS = {
    "401": error_response("No token, or an unknown or deleted one."),
    "405": error_response("Method not allowed."),
    "406": error_response("The Accept header asks for something other than JSON."),
}

LAYOUT = {
    "type": "string",
    "enum": list(LAYOUTS),
    "description": "; ".join(f"{name}: {label}" for name, label in LAYOUT_LABELS.items()),
}
FORMAT = {
    "type": "string",
    "enum": list(FORMATS),
    "description": "; ".join(
        f"{name}: {f.width}×{f.height} ({f.aspect}), {f.label}" for name, f in FORMATS.items()
    ),
}
FORMAT_LIST = {"type": "array", "items": FORMAT, "minItems": 1, "maxItems": len(FORMATS), "uniqueItems": True}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {
                        "type": "string",
                        "examples": ["invalid", "not_found", "too_many_jobs", "no_consent"],
                    },
                    "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                    "job": {
                        "type": "string",
                        "description": "no_consent, not_a_presenter and script_too_long: the failed job that "
                        "records the refusal.",
                    },
                },
            }
        },
    },
    "Rendition": {
        "type": "object",
        "description": "One finished format of the video, composed from the same render.",
        "required": ["format", "width", "height", "url", "poster_url", "captions_url", "captions_burned"],
        "properties": {
            "format": FORMAT,
            "width": {"type": "integer"},
            "height": {"type": "integer"},
            "url": {"type": "string"},
            "poster_url": {"type": "string"},
            "captions_url": {
                "type": "string",
                "description": "WebVTT of this format, timed to it (an intro card delays every cue).",
            },
            "captions_burned": {"type": "boolean", "description": "Captions drawn into the picture."},
        },
    },
    "Video": {
        "type": "object",
        "required": ["url", "poster_url", "captions_url", "mime_type", "duration", "width", "height"],
        "properties": {
            "url": {"type": "string"},
            "poster_url": nullable({"type": "string"}),
            "captions_url": nullable({"type": "string"}),
            "mime_type": {"type": "string"},
            "duration": nullable({"type": "number"}),
            "width": nullable({"type": "integer"}),
            "height": nullable({"type": "integer"}),
        },
    },
    "Job": {
        "type": "object",
        "required": [
            "id",
            "status",
            "trigger",
            "page",
            "stage",
            "fraction",
            "eta_s",
            "script",
            "voice",
            "image",
            "presenter",
            "consent_reference",
            "layout",
            "formats",
            "burn_captions",
            "error",
            "video",
            "renditions",
            "created_at",
            "started_at",
            "finished_at",
        ],
        "properties": {
            "id": {"type": "string"},
            "status": {"type": "string", "enum": list(VideoJob.Status.values)},
            "trigger": {"type": "string", "enum": list(VideoJob.Trigger.values)},
            "page": {"type": "integer"},
            "stage": nullable({"type": "string"}),
            "fraction": nullable({"type": "number", "minimum": 0, "maximum": 1}),
            "eta_s": nullable({"type": "number"}),
            "script": {"type": "string"},
            "voice": {"type": "string"},
            "image": nullable({"type": "integer"}),
            "presenter": nullable(
                {
                    "type": "object",
                    "required": ["id", "name"],
                    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                    "description": "Whose face the video shows. Null for jobs refused before a presenter "
                    "was known, and for jobs made before presenters existed.",
                }
            ),
            "consent_reference": {
                "type": "string",
                "description": "The consent record (or, for a synthetic face, the licence) the video was "
                "made on, as it was when the job was asked for; empty when there was none.",
            },
            "layout": LAYOUT,
            # Empty for jobs made before finished videos existed.
            "formats": {"type": "array", "items": FORMAT, "uniqueItems": True},
            "burn_captions": {"type": "boolean"},
            "error": nullable(
                {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                }
            ),
            "video": nullable({"$ref": "#/components/schemas/Video"}),
            "renditions": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Rendition"},
                "description": "The finished formats, once the job has succeeded; empty before.",
            },
            "created_at": {"type": "string", "format": "date-time"},
            "started_at": nullable({"type": "string", "format": "date-time"}),
            "finished_at": nullable({"type": "string", "format": "date-time"}),
        },
    },
    "JobList": {
        "type": "object",
        "required": ["count", "results"],
        "properties": {
            "count": {"type": "integer", "minimum": 0},
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/Job"}},
        },
    },
    "JobCreate": {
        "type": "object",
        "required": ["page"],
        # A presenter names its photo: a request gives one face, by presenter or by image.
        "not": {"required": ["presenter", "image"]},
        "properties": {
            "page": {**ID, "description": "A product page of the token's organization."},
            "script": {
                "type": "string",
                "maxLength": MAX_SCRIPT_CHARS,
                # PostgreSQL text cannot hold NUL characters, so the API refuses them.
                "pattern": "^[^\\x00]*$",
                "description": "Empty: composed from the page.",
            },
            "voice": {
                "type": "string",
                "pattern": f"^{VOICE_ID_PATTERN}$",
                "maxLength": MAX_VOICE_ID_CHARS,
                "description": "engine:voice, e.g. espeak:en-us. Left out: the organization's default voice.",
            },
            "presenter": {
                **ID,
                "description": "A presenter of the organization, whose photo the video animates. Left out: "
                "the presenter whose photo is image, else the page's, else the organization's default.",
            },
            "image": {
                **ID,
                "description": "A presenter's photo in the organization's collection (give presenter or "
                "image, not both).",
            },
            "layout": {
                **LAYOUT,
                "description": "Left out: the brand kit's default layout. " + LAYOUT["description"],
            },
            "formats": {
                **FORMAT_LIST,
                "description": "Every format composed from one render. Left out: the brand kit's default "
                "formats for its default layout, else the layout's own (landscape; vertical for social).",
            },
            "burn_captions": {
                "type": "boolean",
                "description": "Draw the captions into the picture. Left out: the brand kit's default, and "
                "always for the social layout.",
            },
        },
    },
}


def job_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Job"}}},
    }


PATHS: dict[str, Any] = {
    "/api/video/v1/jobs/": {
        "get": {
            "operationId": "listJobs",
            "summary": "List the organization's jobs, newest first.",
            "parameters": [
                {
                    "name": "status",
                    "in": "query",
                    "schema": {"type": "string", "enum": list(VideoJob.Status.values)},
                },
                {
                    "name": "trigger",
                    "in": "query",
                    "schema": {"type": "string", "enum": list(VideoJob.Trigger.values)},
                },
                {"name": "page", "in": "query", "schema": ID},
                {"name": "created_after", "in": "query", "schema": {"type": "string", "format": "date-time"}},
                {
                    "name": "created_before",
                    "in": "query",
                    "schema": {"type": "string", "format": "date-time"},
                },
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
                },
                {
                    "name": "offset",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 0, "maximum": 1_000_000_000, "default": 0},
                },
            ],
            "responses": {
                "200": {
                    "description": "A page of jobs.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobList"}}},
                },
                "400": error_response("A filter is not valid."),
                **COMMON_ERRORS,
            },
        },
        "post": {
            "operationId": "createJob",
            "summary": "Request a presenter video for a page (joins the page's job in flight, if any).",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobCreate"}}},
            },
            "responses": {
                "201": job_response("The new job (already failed, with a reason, when an input is missing)."),
                "200": job_response("The page's job already in flight, joined."),
                "400": error_response(
                    "The body is not valid (including a presenter or image the organization does not "
                    "have), is not JSON or nests arrays and objects more than 32 deep (parse_error), or the "
                    "page cannot have a video."
                ),
                "404": error_response("No such page in this organization."),
                "422": error_response(
                    "The presenter may not be animated: no consent (or licence) in force (no_consent), or "
                    "the image is no presenter's photo (not_a_presenter); or the script is longer than its "
                    "language allows (script_too_long). The message says why and who can fix it; error.job "
                    "is the failed job that records the refusal."
                ),
                "413": error_response("The body is larger than API_MAX_BODY_BYTES (256 KiB by default)."),
                "415": error_response("The body is not JSON."),
                "429": {
                    **error_response("Too many jobs in flight; retry after the given number of seconds."),
                    "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
                },
                **COMMON_ERRORS,
            },
        },
    },
    "/api/video/v1/jobs/{job_id}/": {
        "get": {
            "operationId": "getJob",
            "summary": "One job.",
            "parameters": [JOB_ID],
            "responses": {
                "200": job_response("The job."),
                "404": error_response("No such job."),
                **COMMON_ERRORS,
            },
        }
    },
    "/api/video/v1/jobs/{job_id}/cancel/": {
        "post": {
            "operationId": "cancelJob",
            "summary": "Cancel a queued or running job.",
            "parameters": [JOB_ID],
            "responses": {
                "200": job_response("The cancelled job."),
                "404": error_response("No such job."),
                "409": error_response("The job has already ended."),
                **COMMON_ERRORS,
            },
        }
    },
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Presenter video jobs",
        "version": API_VERSION,
        "description": "Order and follow an organization's presenter videos. See docs/api.md.",
    },
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {
            "token": {"type": "http", "scheme": "bearer", "description": "An API token (vt_…)."}
        },
    },
    "security": [{"token": []}],
}


def openapi_document(request: HttpRequest) -> JsonResponse:
    """The OpenAPI document; public, so clients and tools can read it without a token."""
    return JsonResponse(DOCUMENT)
