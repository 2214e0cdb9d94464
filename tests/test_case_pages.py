"""The case pages: detail with timeline and only the user's actions; action forms."""

from __future__ import annotations

import pytest
from django.urls import reverse

from intake.models import Case, State

pytestmark = pytest.mark.django_db


def test_case_page_shows_timeline_and_only_my_actions(client, make_case, dispatcher, clerk):
    case = make_case()
    client.force_login(dispatcher)
    html = client.get(reverse("intake:case_detail", args=[case.pk])).content.decode()
    assert case.number in html and "办理轨迹" in html and "登记" in html
    assert reverse("intake:case_action", args=[case.pk, "dispatch"]) in html
    assert reverse("intake:case_action", args=[case.pk, "archive"]) not in html
    client.force_login(clerk)
    html = client.get(reverse("intake:case_detail", args=[case.pk])).content.decode()
    assert reverse("intake:case_action", args=[case.pk, "dispatch"]) not in html


def test_case_page_masks_id_numbers(client, make_case, dispatcher):
    case = make_case()
    client.force_login(dispatcher)
    html = client.get(reverse("intake:case_detail", args=[case.pk])).content.decode()
    full = case.parties.get(role="applicant").id_number
    assert full not in html and full[-4:] in html


def test_action_form_dispatches(client, make_case, dispatcher):
    case = make_case()
    client.force_login(dispatcher)
    url = reverse("intake:case_action", args=[case.pk, "dispatch"])
    assert "承办部门" in client.get(url).content.decode()
    response = client.post(url, {"department": "rsj", "version": case.version})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).state == State.DISPATCHED


def test_action_form_keeps_input_and_shows_field_error(client, make_case, dispatcher, officer, rsj):
    from dispatch.services import case_dispatch

    case = make_case()
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    client.force_login(officer)
    url = reverse("intake:case_action", args=[case.pk, "return_case"])
    response = client.post(url, {"reason": "", "legal_basis": "《劳动法》第三条", "version": 1})
    assert response.status_code == 400
    html = response.content.decode()
    assert "《劳动法》第三条" in html and "is-invalid" in html


def test_concurrent_change_shows_reload_message(client, make_case, dispatcher):
    case = make_case()
    client.force_login(dispatcher)
    url = reverse("intake:case_action", args=[case.pk, "dispatch"])
    response = client.post(url, {"department": "rsj", "version": case.version + 1}, follow=True)
    assert "刷新" in response.content.decode()
    assert Case.objects.get(pk=case.pk).state == State.REGISTERED


def test_case_page_of_another_department_is_404(client, make_case, dispatcher, officer2, rsj):
    from dispatch.services import case_dispatch

    case = make_case()
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    client.force_login(officer2)
    assert client.get(reverse("intake:case_detail", args=[case.pk])).status_code == 404
    assert client.get(reverse("intake:case_action", args=[case.pk, "sign_for"])).status_code == 404


def test_case_list_page_query_count_is_flat(
    client, make_case, dispatcher, django_assert_max_num_queries
):
    make_case()
    client.force_login(dispatcher)
    client.get(reverse("intake:case_list"))
    for _ in range(15):
        make_case()
    with django_assert_max_num_queries(14):
        response = client.get(reverse("intake:case_list"))
    assert response.status_code == 200


def test_action_form_offers_co_departments_as_optional_multiselect(client, make_case, dispatcher):
    case = make_case()
    client.force_login(dispatcher)
    url = reverse("intake:case_action", args=[case.pk, "dispatch"])
    html = client.get(url).content.decode()
    assert (
        'name="co_departments"' in html
        and "multiple" in html.split('name="co_departments"')[0][-200:]
    )
    # The note comes after the required department field (tab order follows the form).
    assert html.index('name="department"') < html.index('name="note"')
    response = client.post(
        url, {"department": "rsj", "co_departments": ["ldjc", "tj-labour"], "version": case.version}
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).state == State.DISPATCHED


def test_case_page_shows_panels_registered_by_downstream_apps(client, make_case, dispatcher):
    case = make_case()
    client.force_login(dispatcher)
    html = client.get(reverse("intake:case_detail", args=[case.pk])).content.decode()
    assert 'id="panel-routing"' in html and "县人社局" in html  # dispatch's routing suggestion


def test_a_form_the_user_may_not_submit_is_403(client, make_case, clerk, dispatcher):
    """Issue 23: a clerk could open the dispatch form although submitting was refused."""
    case = make_case()
    url = f"/cases/{case.pk}/act/dispatch/"
    client.force_login(clerk)
    assert client.get(url).status_code == 403
    client.force_login(dispatcher)
    assert client.get(url).status_code == 200


def test_a_form_not_open_in_this_state_sends_back_to_the_case_with_the_reason(
    client, make_case, dispatcher, rsj
):
    from dispatch.services import case_dispatch

    case = make_case()
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    client.force_login(dispatcher)
    response = client.get(f"/cases/{case.pk}/act/dispatch/", follow=True)
    assert response.redirect_chain[-1][0] == f"/cases/{case.pk}/"
    assert "不能执行" in response.content.decode()
