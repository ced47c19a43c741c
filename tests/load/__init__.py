"""The load test: the job API and the editor panel under concurrent clients while a batch drains."""
