"""The signature pad on the agreement page: the drawing is posted as a PNG data URL
(``static/js/signature-pad.js`` fills the hidden field; no inline script, CSP)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from luodian_platform.errors import NotAllowed, ServiceError
from luodian_platform.views import role_required

from . import selectors, services
from .views import MEDIATION_ROLES


@require_POST
@role_required(*MEDIATION_ROLES)
def agreement_signature(request, pk: int):
    agreement = selectors.agreement_get(user=request.user, pk=pk)
    if agreement is None:
        raise Http404
    try:
        party = request.POST.get("party") or None
        services.agreement_signature_record(
            agreement_id=agreement.pk,
            actor=request.user,
            signer=request.POST.get("signer", ""),
            agreement_party_id=int(party)
            if party and party.isdigit() and len(party) < 10
            else None,
            png=services.decode_data_url(request.POST.get("png", "")),
        )
    except NotAllowed as exc:
        raise PermissionDenied from exc
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("签名已保存。"))
    return redirect("mediation:agreement", pk=agreement.pk)
