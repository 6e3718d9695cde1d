"""Numbers from requests (common.numbers, common.converters, common.params): bounded before int(),
refused as 404 in a path, 400 naming the parameter in the API, a filter left out on a page.

tests/test_fuzz_urls.py sends hostile values to every address; these pin the answers.
"""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import Resolver404, resolve, reverse

from common.numbers import MAX_ID, NotANumber, OutOfRange, bounded_int
from common.years import parse_year

BIG = "9" * 5000


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", 12), (" 12 ", 12), ("+3", 3), ("0012", 12), (str(MAX_ID), MAX_ID), ("1", 1)],
)
def test_bounded_int_reads_whole_numbers(raw, expected):
    assert bounded_int(raw, minimum=1, maximum=MAX_ID) == expected


@pytest.mark.parametrize(
    "raw", ["", None, "abc", "²", "١٢", "1_000", "1e3", "NaN", "Infinity", "1.0", "\x00", "一一二"]
)
def test_bounded_int_refuses_what_is_not_a_whole_number_in_ascii_digits(raw):
    with pytest.raises(NotANumber):
        bounded_int(raw, minimum=1, maximum=MAX_ID)


@pytest.mark.parametrize("raw", ["0", "-1", str(MAX_ID + 1), str(2**64), BIG, "-" + BIG])
def test_bounded_int_refuses_numbers_out_of_range_without_converting_them(raw):
    with pytest.raises(OutOfRange) as caught:
        bounded_int(raw, minimum=1, maximum=MAX_ID)
    assert len(str(caught.value)) <= 21  # the message repeats at most 20 characters of it


def test_a_year_is_read_up_to_four_digits():
    assert parse_year("113") == 113
    assert parse_year("2024") == 2024  # seen, so that it can be refused as a Gregorian year
    with pytest.raises(OutOfRange):
        parse_year("20240")


@pytest.mark.parametrize("segment", ["0", str(MAX_ID + 1), str(2**64), str(10**30), BIG, "1_0"])
def test_an_id_out_of_range_does_not_match_a_route(segment):
    with pytest.raises(Resolver404):
        resolve(f"/dashboard/departments/{segment}/")


def test_ids_and_roc_years_in_paths_match_as_integers():
    match = resolve(f"/public/113/departments/{MAX_ID}/")
    assert match.kwargs == {"year": 113, "department_id": MAX_ID}
    with pytest.raises(Resolver404):
        resolve("/public/2024/departments/1/")  # a Gregorian year is not an ROC year
    with pytest.raises(Resolver404):
        resolve("/open-data/attainment/0.json")


@pytest.mark.django_db
def test_the_api_names_a_bad_number_parameter(client, staff):
    client.force_login(staff)
    for params, name in [
        ({"year": BIG}, "year"),
        ({"department": str(2**63)}, "department"),
        ({"page_size": BIG}, "page_size"),
        ({"page": "²"}, "page"),
    ]:
        response = client.get("/api/v1/reports/", params)
        assert response.status_code == 400, params
        assert name in response.json(), response.json()
        assert BIG not in response.content.decode()
    assert client.get("/api/v1/reports/", {"page": BIG}).status_code == 404  # past the last page


def test_the_review_queue_leaves_out_a_bad_filter_and_says_so(client, supervisor):
    client.force_login(supervisor)
    response = client.get(reverse("kpi:review_queue"), {"year": BIG, "department": "²"})
    assert response.status_code == 200
    assert response.context["chosen"]["year"] is None
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert len(shown) == 2 and all("9" * 21 not in m for m in shown), shown
    # Each names the filter as the page shows it (年度, 機關), not the address's parameter.
    assert any("年度" in m for m in shown) and any("機關" in m for m in shown), shown


def test_a_bare_word_as_next_is_not_followed(client, supervisor, seeded_plan):
    client.force_login(supervisor)
    response = client.get(reverse("kpi:review_bulk"), {"report": BIG, "next": "abc"})
    assert response.status_code == 302
    assert response["Location"] == reverse("kpi:review_queue")
