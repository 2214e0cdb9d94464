"""Open311 GeoReport v2: the platform's categories as services, disputes filed and followed
by any Open311 client (FixMyStreet, SeeClickFix and city apps speak it).

This module maps between the standard and the platform (plain functions, no HTTP); the
views are ``intake/api/open311.py``. Filing goes through the channel API's own validation
and idempotency (``intake.api.channel.submit_payload``), with the ``api_key`` being a
channel token. Reads are public, as the standard has them, so they show no personal data:
no description (the facts name people), no address beyond the township, no party — only
the category, the state, the department, the dates and the outcome's kind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import xml.etree.ElementTree as ET
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from luodian_platform.models import Category, Township

from .channel import guidance_for
from .models import Case, State

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
# When this interface last changed (discovery's ``changeset``): bump it with the interface.
CHANGESET = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)
CLOSED_STATES = {State.CLOSED, State.ARCHIVED, State.REJECTED, State.MERGED}
SOURCE = "open311"
MAX_RANGE_DAYS = 90  # the standard: a start/end range may not span more than 90 days
MAX_RESULTS = 1000


def w3c(moment) -> str | None:
    """The W3C date-time the standard asks for, with the offset (e.g. +08:00)."""
    if not moment:
        return None
    return timezone.localtime(moment).replace(microsecond=0).isoformat()


# --- discovery and services --------------------------------------------------------------


def discovery(*, endpoint_url: str, changeset) -> dict:
    return {
        "changeset": w3c(changeset),
        "contact": _("%(county)s矛盾纠纷化解中心,电话 %(phone)s")
        % {"county": settings.COUNTY_NAME, "phone": settings.HALL_PHONE},
        "key_service": _("api_key 即渠道令牌,由平台系统管理员签发。"),
        "endpoints": [
            {
                "specification": SPEC_URL,
                "url": endpoint_url,
                "changeset": w3c(changeset),
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def services() -> list[dict]:
    return [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": str(c.get_kind_display()),
            "metadata": True,
            "type": "realtime",
            "keywords": "",
            "group": str(c.get_kind_display()),
        }
        for c in Category.objects.filter(is_active=True).order_by("code")
    ]


def _attribute(code, datatype, description, *, required=False, order=0, values=None) -> dict:
    return {
        "variable": True,
        "code": code,
        "datatype": datatype,
        "required": required,
        "datatype_description": "",
        "order": order,
        "description": description,
        "values": values or [],
    }


def service_definition(category: Category) -> dict:
    """The attributes a client sends as ``attribute[code]``; those the category requires
    for a complete registration (``Category.required_fields``) are marked required."""
    required = set(category.required_fields or [])
    townships = [{"key": t.code, "name": t.name} for t in Township.objects.order_by("code")]
    return {
        "service_code": category.code,
        "attributes": [
            _attribute(
                "external_id",
                "string",
                _("贵方系统的请求编号(可选):同一编号重复提交只生成一件案件"),
                order=1,
            ),
            _attribute(
                "township",
                "singlevaluelist",
                _("纠纷发生的乡镇街道"),
                required="township" in required,
                order=2,
                values=townships,
            ),
            _attribute(
                "respondent",
                "string",
                _("被申请人(如用人单位)姓名或名称"),
                required="respondent" in required,
                order=3,
            ),
            _attribute(
                "amount",
                "number",
                _("涉及金额(元)"),
                required="amount" in required,
                order=4,
            ),
            _attribute("people_count", "number", _("涉及人数"), order=5),
            _attribute(
                "applicant_id",
                "string",
                _("申请人身份证号码"),
                required="applicant_id" in required,
                order=6,
            ),
        ],
    }


# --- filing -------------------------------------------------------------------------------


class Open311Error(Exception):
    def __init__(self, status: int, errors: list[tuple[int, str]]):
        super().__init__(errors[0][1] if errors else "")
        self.status = status
        self.errors = errors


def _external_id(form: dict[str, str]) -> str:
    given = (form.get("attribute[external_id]") or "").strip()
    if given:
        return given[:64]
    # No id of its own: the same submission (a client's retry) gives the same id.
    keys = sorted(k for k in form if k not in ("api_key", "jurisdiction_id"))
    canonical = "\n".join(f"{k}={form[k]}" for k in keys)
    return "o311-" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


def channel_payload(form: dict[str, str]) -> dict:
    """An Open311 POST as the channel API's order (validated there, once, the same way)."""
    description = (form.get("description") or "").strip()
    if not description:
        raise Open311Error(400, [(400, _("description:请描述纠纷的事实与诉求。"))])
    if not (
        (form.get("lat") and form.get("long"))
        or form.get("address_string")
        or form.get("address_id")
    ):
        # The standard requires a location: lat & long, address_string or address_id.
        raise Open311Error(
            400, [(400, _("location:请提供 lat 与 long、address_string 或 address_id。"))]
        )
    name = f"{form.get('last_name', '')}{form.get('first_name', '')}".strip()
    if not name:
        raise Open311Error(400, [(400, _("first_name/last_name:请填写申请人姓名。"))])
    place = (form.get("address_string") or "").strip()
    if not place and form.get("lat"):
        place = f"{form.get('lat')},{form.get('long')}"
    applicant = {
        "role": "applicant",
        "name": name,
        "phone": (form.get("phone") or "").strip(),
        "id_number": (form.get("attribute[applicant_id]") or "").strip(),
    }
    parties: list[dict[str, Any]] = [applicant]
    respondent = (form.get("attribute[respondent]") or "").strip()
    if respondent:
        parties.append({"role": "respondent", "kind": "person", "name": respondent})
    payload: dict[str, Any] = {
        "external_id": _external_id(form),
        "category": (form.get("service_code") or "").strip(),
        "title": description.splitlines()[0][:60],
        "facts": description,
        "place": place[:200],
        "parties": parties,
    }
    for key in ("township", "amount", "people_count"):
        value = (form.get(f"attribute[{key}]") or "").strip()
        if value:
            payload[key] = value
    return payload


FIELD_NAMES = {"category": "service_code", "place": "address_string", "facts": "description"}


def errors_from_fields(fields: dict) -> list[tuple[int, str]]:
    """The channel API's field errors as Open311 errors (code 400, one per message)."""
    out = []
    for key, messages in fields.items():
        name = FIELD_NAMES.get(key, key)
        if key == "parties[0].name":
            name = "first_name/last_name"
        elif key == "parties[0].phone":
            name = "phone"
        elif key.startswith("parties[0]."):
            name = "attribute[applicant_id]"
        elif key.startswith("parties[1]."):
            name = "attribute[respondent]"
        elif key in ("township", "amount", "people_count"):
            name = f"attribute[{key}]"
        for message in messages if isinstance(messages, list) else [messages]:
            out.append((400, f"{name}:{message}"))
    return out or [(400, _("提交的数据有误。"))]


# --- reads (public: no personal data) -----------------------------------------------------


def public_requests():
    """Cases filed through Open311: the only ones the public reads show."""
    return Case.objects.filter(channel_order__source=SOURCE).select_related(
        "category", "department", "township"
    )


def status_of(case: Case) -> str:
    return "closed" if case.state in CLOSED_STATES else "open"


def status_notes(case: Case) -> str:
    label = str(case.get_state_display())
    if case.state == State.REJECTED and case.reject_channel:
        return _("%(state)s,请向%(route)s途径反映。") % {
            "state": label,
            "route": case.reject_channel,
        }
    if case.state in (State.CLOSED, State.ARCHIVED) and case.outcome:
        return f"{label}:{case.get_outcome_display()}"
    return label


def service_notice(case: Case) -> str:
    order = getattr(case, "channel_order", None)
    return guidance_for(order.other_proceeding) if order else ""


def request_row(case: Case) -> dict:
    return {
        "service_request_id": case.number,
        "status": status_of(case),
        "status_notes": status_notes(case),
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": "",
        "agency_responsible": case.department.name if case.department else "",
        "service_notice": service_notice(case),
        "requested_datetime": w3c(case.created_at),
        "updated_datetime": w3c(case.updated_at),
        "expected_datetime": w3c(case.due_at),
        "address": case.township.name if case.township else "",
        "address_id": "",
        "zipcode": "",
        "lat": "",
        "long": "",
        "media_url": "",
    }


# --- XML, shaped as the standard's examples ------------------------------------------------


def _append(parent: ET.Element, tag: str, value) -> None:
    child = ET.SubElement(parent, tag)
    if isinstance(value, bool):
        child.text = "true" if value else "false"
    elif isinstance(value, dict):
        for k, v in value.items():
            _append(child, k, v)
    elif isinstance(value, list):
        item = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute"}
        for v in value:
            _append(child, item.get(tag, "value"), v)
    elif value is not None:
        child.text = str(value)


def to_xml(root: str, item: str | None, data) -> bytes:
    """``<root><item>…</item>…</root>`` for lists, ``<root>…</root>`` for one object."""
    element = ET.Element(root)
    if item is None:
        for k, v in data.items():
            _append(element, k, v)
    else:
        for row in data:
            _append(element, item, row)
    body = ET.tostring(element, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode("utf-8")


def errors_xml(errors: list[tuple[int, str]]) -> bytes:
    return to_xml("errors", "error", [{"code": c, "description": d} for c, d in errors])
