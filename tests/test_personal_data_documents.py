"""Documents and personal data (issue 17): the agreement keeps the parties' particulars the law
requires (《人民调解法》 art. 29) but shows them masked on screen; opening or downloading the
full document (print view, PDF; notices and referral reports too) is a logged reveal with a
reason, for the people handling the case only. Per role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from intake.models import PersonalDataReveal
from mediation import services

from .conftest import VALID_ID
from .test_mediation_flow import accepted_case, agreement_kwargs, luo  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

PHONE = "13800138000"


@pytest.fixture
def agreement(accepted_case, officer, luo):  # noqa: F811
    case = accepted_case()
    services.mediator_assign(case_id=case.pk, mediator_id=luo.pk, actor=officer)
    return services.agreement_record(actor=officer, **agreement_kwargs(case, luo))


@pytest.fixture
def notice(accepted_case, officer):  # noqa: F811
    case = accepted_case()
    return services.notice_record(case_id=case.pk, actor=officer, reason="被申请人拒绝支付")


def _logs():
    return PersonalDataReveal.objects.filter(subject="document")


@pytest.mark.parametrize("role", ["clerk", "supervisor", "officer", "dispatcher", "mediator"])
def test_agreement_page_masks_id_numbers_and_phones_for_every_role(
    role, agreement, client, request
):
    client.force_login(request.getfixturevalue(role))
    html = client.get(reverse("mediation:agreement", args=[agreement.pk])).content.decode()
    assert "王小明" in html  # the names stay (the parties sign under them)
    assert VALID_ID not in html and PHONE not in html
    assert "1101**********002X" in html and "138****8000" in html
    assert not _logs().exists()  # looking at the masked page is not a reveal


@pytest.mark.parametrize("role", ["clerk", "supervisor"])
def test_roles_that_do_not_handle_the_case_cannot_open_the_full_document(
    role, agreement, notice, client, api, request
):
    user = request.getfixturevalue(role)
    client.force_login(user)
    html = client.get(reverse("mediation:agreement", args=[agreement.pk])).content.decode()
    assert reverse("mediation:agreement_full", args=[agreement.pk]) not in html
    for name, pk in (
        ("mediation:agreement_full", agreement.pk),
        ("mediation:agreement_pdf", agreement.pk),
        ("mediation:notice_pdf", notice.pk),
    ):
        assert client.get(reverse(name, args=[pk])).status_code == 403
        assert client.post(reverse(name, args=[pk]), {"reason": "想看看"}).status_code == 403
    assert (
        api(user).get(f"/api/agreements/{agreement.pk}/pdf/", {"reason": "x看"}).status_code == 403
    )
    assert api(user).get(f"/api/notices/{notice.pk}/pdf/", {"reason": "x看"}).status_code == 403
    assert not _logs().exists()


def test_another_department_gets_404_and_nothing_is_logged(agreement, officer2, client, api):
    client.force_login(officer2)
    url = reverse("mediation:agreement_pdf", args=[agreement.pk])
    assert client.post(url, {"reason": "核对"}).status_code == 404
    assert (
        api(officer2).get(f"/api/agreements/{agreement.pk}/pdf/", {"reason": "核对"}).status_code
        == 404
    )
    assert not _logs().exists()


def test_handler_opens_the_full_print_view_with_a_reason_and_it_is_logged(
    agreement, officer, client
):
    client.force_login(officer)
    url = reverse("mediation:agreement_full", args=[agreement.pk])
    form = client.get(url)
    assert form.status_code == 200 and VALID_ID not in form.content.decode()
    assert client.post(url, {"reason": " "}).status_code == 400
    assert not _logs().exists()
    html = client.post(url, {"reason": "打印供当事人签署"}).content.decode()
    assert VALID_ID in html and PHONE in html
    log = _logs().get()
    assert (log.actor, log.case, log.object_ref, log.reason, log.fields) == (
        officer,
        agreement.case,
        f"agreement:{agreement.pk}",
        "打印供当事人签署",
        "document",
    )


@pytest.mark.parametrize("role", ["officer", "dispatcher"])
def test_handler_downloads_the_pdf_with_a_reason_page_and_api_both_logged(
    role, agreement, notice, client, api, request
):
    user = request.getfixturevalue(role)
    client.force_login(user)
    response = client.post(
        reverse("mediation:agreement_pdf", args=[agreement.pk]), {"reason": "存档"}
    )
    assert response["Content-Type"] == "application/pdf"
    assert api(user).get(f"/api/agreements/{agreement.pk}/pdf/").status_code == 400
    assert api(user).get(f"/api/notices/{notice.pk}/pdf/", {"reason": "送达"}).status_code == 200
    refs = sorted(_logs().filter(actor=user).values_list("object_ref", flat=True))
    assert refs == sorted([f"agreement:{agreement.pk}", f"notice:{notice.pk}"])
