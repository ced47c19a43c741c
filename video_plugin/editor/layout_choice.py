"""The editor's choice of layout, formats and burned-in captions, read from a panel request and checked
against the contract (:mod:`gpu_runner.protocol`) before anything is drawn or queued.

A choice left out is ``None``: the job then takes the organization's default. A bad one raises
:class:`~gpu_runner.protocol.ProtocolError` whose message lists the valid values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from gpu_runner.protocol import FORMATS, LAYOUTS, ProtocolError, check_formats, check_layout

# How a form (rather than JSON) writes a checkbox; JSON sends true and false.
TRUE_WORDS = frozenset({"true", "on", "1", "yes"})
FALSE_WORDS = frozenset({"false", "off", "0", "no"})


@dataclass(frozen=True)
class LayoutChoice:
    """What the finished videos look like, as the editor chose it; ``None`` leaves the organization's
    default."""

    layout: str | None = None
    formats: tuple[str, ...] | None = None
    burn_captions: bool | None = None


def read_layout(value: Any) -> str | None:
    """A layout name from :data:`LAYOUTS`, or ``None`` when the request names none."""
    if value in (None, ""):
        return None
    return check_layout(value)


def read_formats(value: Any) -> tuple[str, ...] | None:
    """Format names from :data:`FORMATS` (a JSON list, or one comma-separated string from a form), in the
    contract's order; ``None`` when the request names none."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        value = [name.strip() for name in value.split(",") if name.strip()]
    if isinstance(value, list | tuple) and not value:
        raise ProtocolError(_("choose at least one format: %(formats)s") % {"formats": ", ".join(FORMATS)})
    return check_formats(value)


def read_burn_captions(value: Any) -> bool | None:
    """Whether to burn the captions in: JSON true/false or a form's checkbox word; ``None`` when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ProtocolError(_("burn_captions %(value)r must be true or false") % {"value": str(value)[:20]})


def read_layout_choice(data: Mapping[str, Any]) -> LayoutChoice:
    """The ``layout``, ``formats`` and ``burn_captions`` of a panel request."""
    return LayoutChoice(
        layout=read_layout(data.get("layout")),
        formats=read_formats(data.get("formats")),
        burn_captions=read_burn_captions(data.get("burn_captions")),
    )


def valid_choices() -> dict[str, list[str]]:
    """The names the panel may send, for error answers and the panel's own controls."""
    return {"layouts": list(LAYOUTS), "formats": list(FORMATS)}
