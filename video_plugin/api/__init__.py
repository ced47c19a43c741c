"""The organization-scoped job API: ``/api/video/v1/`` (token auth, JSON errors, its own OpenAPI schema)."""
