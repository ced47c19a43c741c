"""Fuzzing of the video job API against its own OpenAPI document."""
