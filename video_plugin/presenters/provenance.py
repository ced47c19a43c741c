"""What a photo's own content credentials (C2PA) say about where it came from.

A photo whose active manifest records a ``c2pa.actions`` action with an AI ``digitalSourceType``
(``trainedAlgorithmicMedia``, or ``compositeWithTrainedAlgorithmicMedia``) shows nobody's real face, so it may
be a presenter only as a synthetic one, with its licence (:mod:`video_plugin.presenters.forms`).

Only the active manifest counts, the one describing this file: the manifests of its ingredients describe other
files. The claim is honoured whether or not the signing certificate is trusted, since it can only make the
rule stricter. A photo without a manifest is fine; a manifest that cannot be read is treated as none and
logged, so that a damaged file never blocks an editor, and the log says which one.
"""

from __future__ import annotations

import json
import logging
import mimetypes
from typing import Any

import c2pa

logger = logging.getLogger(__name__)

# IPTC digital source types that mean "made by a trained model" (https://cv.iptc.org/newscodes/digitalsourcetype/).
AI_SOURCE_TYPES = frozenset({"trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia"})
ACTIONS_LABEL = "c2pa.actions"


def source_types(manifest: dict[str, Any]) -> set[str]:
    """The digital source types (short IPTC names) stated by every ``c2pa.actions`` assertion of ``manifest``.

    Labels may carry a version or an instance suffix (``c2pa.actions.v2``, ``c2pa.actions__1``); source types
    may be full IPTC URIs or bare names.
    """
    found: set[str] = set()
    for assertion in manifest.get("assertions") or []:
        label = str(assertion.get("label", ""))
        if label != ACTIONS_LABEL and not label.startswith((ACTIONS_LABEL + ".", ACTIONS_LABEL + "__")):
            continue
        for action in (assertion.get("data") or {}).get("actions") or []:
            source_type = action.get("digitalSourceType") if isinstance(action, dict) else None
            if source_type:
                found.add(str(source_type).rstrip("/").rsplit("/", 1)[-1])
    return found


def active_manifest(stream: Any, name: str) -> dict[str, Any] | None:
    """The active manifest of the file in ``stream`` (its name gives the format), or ``None`` without one.

    Raises :class:`c2pa.C2paError` for a manifest that is there but cannot be read.
    """
    mime_type = mimetypes.guess_type(name)[0] or ""  # empty: the library detects the format from the bytes
    reader = c2pa.Reader.try_create(mime_type, stream)
    if reader is None:
        return None
    with reader:
        store = json.loads(reader.json())
    return store.get("manifests", {}).get(store.get("active_manifest") or "")


def is_ai_generated(image: Any) -> bool:
    """Whether the Wagtail image's own file says, in its content credentials, that a trained model made it.

    ``False`` for a file without credentials, and for one whose credentials cannot be read (logged).
    """
    try:
        with image.file.open("rb") as stream:
            manifest = active_manifest(stream, image.file.name)
    except (c2pa.C2paError, OSError, ValueError) as exc:
        logger.warning(
            "could not read the content credentials of image %s (%s): %s: %s; treated as having none",
            image.pk,
            image.file.name,
            type(exc).__name__,
            exc,
        )
        return False
    return manifest is not None and bool(source_types(manifest) & AI_SOURCE_TYPES)
