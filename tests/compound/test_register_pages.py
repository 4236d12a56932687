"""The register's HTML forms: compounds, zones, buildings, accounts, meters, transformers and unmetered uses.

Each form adds or changes a row and redirects (303, with a flash); a refusal shows the form again (422)
with the values kept and the reason beside the field it names.
"""

import re
from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest
from sqlmodel import select

from compound.register.models import Account, AccountKind, Building, Compound, Payer, Zone, ZoneKind
from meters.models import Meter, MeterRole, MeterStatus, Transformer, UnmeteredUse, Utility
from tests.factories import (
    make_account,
    make_building,
    make_compound,
    make_meter,
    make_transformer,
    make_unmetered,
    make_zone,
)
from tests.personas import login, make_user

pytestmark = pytest.mark.role("admin")


@pytest.fixture
def c(session) -> Compound:
    return make_compound(session, name="Forms compound")


def post(client, url: str, data: dict):
    return client.post(url, data=data, follow_redirects=False)


def problem(html: str, field: str) -> str:
    """The message shown beside `field`, or '' when there is none."""
    m = re.search(rf'<p class="problem" id="error-{field}" role="alert">(.*?)</p>', html, re.S)
    return m.group(1) if m else ""


def flashed(client, target: str) -> str:
    return client.get(target).text


# Compounds


def test_admin_creates_a_compound_and_may_open_it(client, session):
    code = f"N{uuid4().hex[:8]}"
    r = post(
        client,
        "/compounds/new",
        {"code": code, "name": "New district compound", "timezone": "Asia/Shanghai", "spike_factor": "2.5"},
    )
    assert r.status_code == 303
    made = session.exec(select(Compound).where(Compound.code == code)).one()
    assert made.spike_factor == Decimal("2.5")
    assert r.headers["location"] == f"/c/{made.id}/"
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and "New district compound" in page.text


def test_compound_form_names_a_bad_timezone_and_keeps_the_values(client):
    r = post(
        client, "/compounds/new", {"code": "X1", "name": "Somewhere", "timezone": "Mars/Olympus", "spike_factor": "3"}
    )
    assert r.status_code == 422
    assert "Unknown timezone Mars/Olympus" in problem(r.text, "timezone")
    assert 'value="Somewhere"' in r.text


def test_duplicate_compound_code_is_refused_beside_the_code(client, c):
    r = post(
        client, "/compounds/new", {"code": c.code, "name": "Twin", "timezone": "Asia/Shanghai", "spike_factor": "3"}
    )
    assert r.status_code == 422
    assert "already exists" in problem(r.text, "code")


def test_index_offers_a_new_compound_only_to_administrators_of_every_compound(client, client_as, c):
    assert 'href="/compounds/new"' in client.get("/").text
    assert 'href="/compounds/new"' not in client_as("maintenance").get("/").text
    admin_of_c = client_as("admin", c)
    assert 'href="/compounds/new"' not in admin_of_c.get("/").text
    assert admin_of_c.get("/compounds/new").status_code == 403


# Zones


def test_zone_is_created_with_its_kind_and_the_list_says_so(client, session, c):
    r = post(client, f"/c/{c.id}/zones/new", {"name": "Living area", "kind": "living"})
    assert r.status_code == 303 and r.headers["location"] == f"/c/{c.id}/zones"
    zone = session.exec(select(Zone).where(Zone.compound_id == c.id)).one()
    assert (zone.name, zone.kind) == ("Living area", ZoneKind.living)
    page = client.get(r.headers["location"]).text
    assert "Zone Living area added." in page
    assert f"/c/{c.id}/zones/{zone.id}/edit" in page


def test_zone_is_renamed_and_its_kind_changed(client, session, c):
    zone = make_zone(session, compound=c, name="Old name", kind=ZoneKind.public)
    form = client.get(f"/c/{c.id}/zones/{zone.id}/edit").text
    assert 'value="Old name"' in form and '<option value="public" selected>' in form
    r = post(client, f"/c/{c.id}/zones/{zone.id}/edit", {"name": "Conference area", "kind": "conference"})
    assert r.status_code == 303
    session.refresh(zone)
    assert (zone.name, zone.kind) == ("Conference area", "conference")


def test_duplicate_zone_name_is_refused_beside_the_name(client, session, c):
    make_zone(session, compound=c, name="Office area")
    r = post(client, f"/c/{c.id}/zones/new", {"name": "Office area", "kind": "office"})
    assert r.status_code == 422
    assert "There is already a zone named Office area" in problem(r.text, "name")
    assert len(session.exec(select(Zone).where(Zone.compound_id == c.id)).all()) == 1


def test_zone_without_a_name_or_with_an_unknown_kind_is_refused(client, c):
    r = post(client, f"/c/{c.id}/zones/new", {"name": "", "kind": "office"})
    assert r.status_code == 422 and "This field is required." in problem(r.text, "name")
    r = post(client, f"/c/{c.id}/zones/new", {"name": "Z", "kind": "garden"})
    assert r.status_code == 422 and "Choose one of the options." in problem(r.text, "kind")


def test_another_compounds_zone_cannot_be_edited(client, session, c):
    other = make_zone(session, compound=make_compound(session))
    assert client.get(f"/c/{c.id}/zones/{other.id}/edit").status_code == 404
    assert post(client, f"/c/{c.id}/zones/{other.id}/edit", {"name": "x", "kind": "office"}).status_code == 404


# Buildings


def test_building_is_created_in_a_zone_and_moved_to_another(client, session, c):
    living, office = make_zone(session, compound=c, name="Living"), make_zone(session, compound=c, name="Office")
    r = post(client, f"/c/{c.id}/buildings/new", {"name": "Block 3", "zone_id": str(living.id)})
    assert r.status_code == 303 and r.headers["location"] == f"/c/{c.id}/buildings"
    b = session.exec(select(Building).where(Building.compound_id == c.id)).one()
    assert b.zone_id == living.id
    r = post(client, f"/c/{c.id}/buildings/{b.id}/edit", {"name": "Block 3A", "zone_id": str(office.id)})
    assert r.status_code == 303
    session.refresh(b)
    assert (b.name, b.zone_id) == ("Block 3A", office.id)


def test_building_in_another_compounds_zone_is_refused_beside_the_zone(client, session, c):
    foreign = make_zone(session, compound=make_compound(session))
    r = post(client, f"/c/{c.id}/buildings/new", {"name": "Block 9", "zone_id": str(foreign.id)})
    assert r.status_code == 422
    assert f"There is no zone {foreign.id} in this compound." in problem(r.text, "zone_id")
    assert 'value="Block 9"' in r.text


# Accounts


def test_office_unit_is_created_paid_by_the_finance_bureau(client, session, c):
    b = make_building(session, compound=c, name="Office block")
    r = post(
        client,
        f"/c/{c.id}/accounts/new?kind=office",
        {
            "code": "U-01",
            "name": "Party committee",
            "payer": "finance_bureau",
            "building_id": str(b.id),
            "move_in_date": "",
            "move_out_date": "",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == f"/c/{c.id}/accounts?kind=office"
    a = session.exec(select(Account).where(Account.compound_id == c.id)).one()
    assert (a.kind, a.name, a.payer, a.building_id) == (
        AccountKind.office,
        "Party committee",
        Payer.finance_bureau,
        b.id,
    )


def test_household_is_created_and_moves_out_by_setting_the_date(client, session, c):
    b = make_building(session, compound=c)
    r = post(
        client,
        f"/c/{c.id}/accounts/new?kind=household",
        {
            "code": "H-101",
            "name": "Li Wei",
            "phone": "13800000000",
            "building_id": str(b.id),
            "flat": "101",
            "move_in_date": "2020-03-01",
            "move_out_date": "",
        },
    )
    assert r.status_code == 303
    a = session.exec(select(Account).where(Account.compound_id == c.id)).one()
    assert (a.kind, a.phone, a.flat, a.move_in_date, a.payer) == (
        AccountKind.household,
        "13800000000",
        "101",
        date(2020, 3, 1),
        Payer.self,
    )
    form = client.get(f"/c/{c.id}/accounts/{a.id}/edit").text
    assert 'value="2020-03-01"' in form and 'name="payer"' not in form
    r = post(
        client,
        f"/c/{c.id}/accounts/{a.id}/edit",
        {
            "code": "H-101",
            "name": "Li Wei",
            "phone": "13800000000",
            "building_id": str(b.id),
            "flat": "101",
            "move_in_date": "2020-03-01",
            "move_out_date": "2026-10-31",
        },
    )
    assert r.status_code == 303
    session.refresh(a)
    assert a.move_out_date == date(2026, 10, 31) and a.move_in_date == date(2020, 3, 1)


def test_clearing_a_phone_on_the_form_clears_it(client, session, c):
    a = make_account(session, compound=c, name="Zhao Lei")
    a.phone = "123"
    session.flush()
    r = post(client, f"/c/{c.id}/accounts/{a.id}/edit", {"code": a.code, "name": "Zhao Lei", "phone": ""})
    assert r.status_code == 303
    session.refresh(a)
    assert a.phone is None


def test_move_out_before_move_in_is_refused_beside_the_move_out_date(client, session, c):
    r = post(
        client,
        f"/c/{c.id}/accounts/new?kind=household",
        {"code": "H-1", "name": "Chen Jing", "move_in_date": "2024-05-01", "move_out_date": "2024-04-30"},
    )
    assert r.status_code == 422
    assert "The move-out date 2024-04-30 is before the move-in date 2024-05-01." in problem(r.text, "move_out_date")
    assert 'value="Chen Jing"' in r.text and 'value="2024-04-30"' in r.text
    assert session.exec(select(Account).where(Account.compound_id == c.id)).first() is None


def test_a_date_that_is_not_a_date_is_named(client, c):
    r = post(
        client,
        f"/c/{c.id}/accounts/new?kind=household",
        {"code": "H-2", "name": "Sun Li", "move_in_date": "last spring"},
    )
    assert r.status_code == 422
    assert "“last spring” is not a date (YYYY-MM-DD)." in problem(r.text, "move_in_date")


def test_a_bad_account_code_is_explained(client, c):
    r = post(client, f"/c/{c.id}/accounts/new?kind=household", {"code": "H 3 !", "name": "Sun Li"})
    assert r.status_code == 422
    assert "Use letters, digits" in problem(r.text, "code")


def test_household_names_are_escaped_on_every_page(client, session, c):
    evil = "<script>alert(1)</script>"
    r = post(client, f"/c/{c.id}/accounts/new?kind=household", {"code": "H-666", "name": evil})
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text  # the list, with the flash naming the household
    assert evil not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    r = post(client, f"/c/{c.id}/accounts/new?kind=household", {"code": "H-666", "name": evil})
    assert r.status_code == 422 and evil not in r.text  # the refused form shows it again, escaped


# Permissions and links


def test_maintenance_may_not_use_the_register_forms(client_as, session, c):
    maintenance = client_as("maintenance")
    zone = make_zone(session, compound=c)
    for url in (
        f"/c/{c.id}/zones/new",
        f"/c/{c.id}/zones/{zone.id}/edit",
        f"/c/{c.id}/buildings/new",
        f"/c/{c.id}/accounts/new?kind=household",
        "/compounds/new",
    ):
        assert maintenance.get(url).status_code == 403, url
    assert post(maintenance, f"/c/{c.id}/zones/new", {"name": "Sneaky", "kind": "office"}).status_code == 403
    assert post(maintenance, "/compounds/new", {"code": "S1", "name": "Sneaky"}).status_code == 403
    assert session.exec(select(Zone).where(Zone.name == "Sneaky")).first() is None


def test_edit_links_are_shown_only_to_roles_that_may_edit(client, client_as, session, c):
    zone = make_zone(session, compound=c)
    make_meter(session, compound=c, role=MeterRole.check)
    edit = f"/c/{c.id}/zones/{zone.id}/edit"
    assert edit in client.get(f"/c/{c.id}/zones").text
    maintenance = client_as("maintenance")
    assert edit not in maintenance.get(f"/c/{c.id}/zones").text
    assert "/accounts/new" not in maintenance.get(f"/c/{c.id}/accounts").text
    # Maintenance keeps the meters; finance only looks.
    assert "/register/meters/new" in maintenance.get(f"/c/{c.id}/register/meters").text
    finance = client_as("finance")
    assert "/register/meters/new" not in finance.get(f"/c/{c.id}/register/meters").text
    assert finance.get(f"/c/{c.id}/register/meters/new").status_code == 403


def test_a_logged_in_browser_posts_the_form_with_its_csrf_token(anon, session, c):
    user = make_user(session, role="admin", compounds=[c])
    login(anon, user.username)
    form = anon.get(f"/c/{c.id}/zones/new").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    r = anon.post(
        f"/c/{c.id}/zones/new",
        data={"name": "Public places", "kind": "public", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "Zone Public places added." in anon.get(r.headers["location"]).text
    forged = anon.post(f"/c/{c.id}/zones/new", data={"name": "Forged", "kind": "public"}, follow_redirects=False)
    assert forged.status_code == 403


# Meters


def meter_form(**over: str) -> dict:
    base = {
        "serial": "W-100",
        "location": "Flat 101",
        "role": "billing",
        "account_id": "",
        "parent_id": "",
        "building_id": "",
        "zone_id": "",
        "multiplier": "1",
        "dials": "6",
        "walk_order": "0",
        "installed_date": "",
    }
    return base | over


@pytest.mark.role("maintenance")
def test_billing_meter_is_added_under_a_check_meter(client, session, c):
    b = make_building(session, compound=c)
    check = make_meter(session, compound=c, role=MeterRole.check, serial="W-CHECK")
    a = make_account(session, compound=c, building=b)
    page = client.get(f"/c/{c.id}/register/meters/new?utility=water").text
    assert f'<option value="{check.id}">W-CHECK' in page
    r = post(
        client,
        f"/c/{c.id}/register/meters/new?utility=water",
        meter_form(
            account_id=a.code,
            parent_id=str(check.id),
            building_id=str(b.id),
            walk_order="3",
            installed_date="2025-01-02",
        ),
    )
    assert r.status_code == 303
    m = session.exec(select(Meter).where(Meter.compound_id == c.id, Meter.serial == "W-100")).one()
    assert r.headers["location"] == f"/c/{c.id}/meters/{m.id}"
    assert (m.utility, m.parent_id, m.account_id, m.zone_id, m.walk_order, m.installed_date) == (
        Utility.water,
        check.id,
        a.id,
        b.zone_id,
        3,
        date(2025, 1, 2),
    )


def test_billing_meter_without_an_account_is_refused_beside_the_account(client, session, c):
    r = post(client, f"/c/{c.id}/register/meters/new?utility=water", meter_form())
    assert r.status_code == 422
    assert "A billing meter needs the account it bills." in problem(r.text, "account_id")
    assert 'value="W-100"' in r.text and 'value="Flat 101"' in r.text
    assert session.exec(select(Meter).where(Meter.compound_id == c.id)).first() is None


def test_parent_of_another_utility_is_refused_beside_the_parent(client, session, c):
    power = make_meter(session, compound=c, utility=Utility.electricity, role=MeterRole.utility, serial="E-MAIN")
    r = post(client, f"/c/{c.id}/register/meters/new?utility=water", meter_form(role="check", parent_id=str(power.id)))
    assert r.status_code == 422
    assert "Meter E-MAIN measures electricity; it cannot be upstream of water." in problem(r.text, "parent_id")


def test_a_multiplier_that_is_not_a_number_is_named(client, c):
    r = post(client, f"/c/{c.id}/register/meters/new?utility=water", meter_form(role="check", multiplier="forty"))
    assert r.status_code == 422
    assert "“forty” is not a whole number." in problem(r.text, "multiplier")
    r = post(client, f"/c/{c.id}/register/meters/new?utility=water", meter_form(role="check", dials="13"))
    assert r.status_code == 422 and "Must be at most 12." in problem(r.text, "dials")


def test_meter_is_edited_and_taken_out_of_service(client, session, c):
    m = make_meter(session, compound=c, role=MeterRole.check, serial="W-7", location="Pump room")
    form = client.get(f"/c/{c.id}/register/meters/{m.id}/edit").text
    assert 'value="Pump room"' in form and '<option value="active" selected>' in form
    values = meter_form(serial="W-7", role="check", location="Boiler room", dials="5", status="active", removed_date="")
    r = post(client, f"/c/{c.id}/register/meters/{m.id}/edit", values)
    assert r.status_code == 303
    session.refresh(m)
    assert m.location == "Boiler room"
    r = post(
        client, f"/c/{c.id}/register/meters/{m.id}/edit", values | {"status": "removed", "removed_date": "2026-10-20"}
    )
    assert r.status_code == 303
    session.refresh(m)
    assert (m.status, m.removed_date) == (MeterStatus.removed, date(2026, 10, 20))


def test_a_meter_cannot_be_hung_under_its_own_child(client, session, c):
    top = make_meter(session, compound=c, role=MeterRole.check, serial="W-TOP")
    child = make_meter(session, compound=c, role=MeterRole.check, parent=top, serial="W-CHILD")
    values = meter_form(serial="W-TOP", role="check", location="", dials="5", parent_id=str(child.id), status="active")
    r = post(client, f"/c/{c.id}/register/meters/{top.id}/edit", values)
    assert r.status_code == 422
    assert "would make a loop" in problem(r.text, "parent_id")
    session.refresh(top)
    assert top.parent_id is None


def test_editing_one_field_leaves_an_old_place_alone(client, session, c):
    """A meter under a since-removed parent can still get a new location: only what changed is checked."""
    parent = make_meter(session, compound=c, role=MeterRole.check, serial="W-OLD")
    m = make_meter(session, compound=c, role=MeterRole.check, parent=parent, serial="W-KID", dials=5)
    parent.status = MeterStatus.removed
    session.flush()
    values = meter_form(
        serial="W-KID", role="check", location="New place", dials="5", parent_id=str(parent.id), status="active"
    )
    r = post(client, f"/c/{c.id}/register/meters/{m.id}/edit", values)
    assert r.status_code == 303, problem(r.text, "parent_id")
    session.refresh(m)
    assert m.location == "New place" and m.parent_id == parent.id


# Transformers


def test_transformer_is_added_and_its_nameplate_edited(client, session, c):
    feeder = make_meter(session, compound=c, utility=Utility.electricity, role=MeterRole.utility, serial="E-HV")
    data = {
        "name": "T1",
        "rated_kva": "400",
        "no_load_loss_w": "800",
        "copper_loss_w": "4300",
        "parent_meter_id": str(feeder.id),
    }
    r = post(client, f"/c/{c.id}/register/transformers/new", data)
    assert r.status_code == 303 and r.headers["location"] == f"/c/{c.id}/register/transformers"
    t = session.exec(select(Transformer).where(Transformer.compound_id == c.id)).one()
    assert (t.rated_kva, t.parent_meter_id) == (Decimal("400"), feeder.id)
    assert "E-HV" in client.get(r.headers["location"]).text
    r = post(client, f"/c/{c.id}/register/transformers/{t.id}/edit", data | {"rated_kva": "630.5"})
    assert r.status_code == 303
    session.refresh(t)
    assert t.rated_kva == Decimal("630.5")


def test_transformer_fed_by_a_water_meter_is_refused_beside_the_feeder(client, session, c):
    water = make_meter(session, compound=c, role=MeterRole.utility, serial="W-MAIN")
    r = post(
        client,
        f"/c/{c.id}/register/transformers/new",
        {
            "name": "T9",
            "rated_kva": "400",
            "no_load_loss_w": "800",
            "copper_loss_w": "4300",
            "parent_meter_id": str(water.id),
        },
    )
    assert r.status_code == 422
    assert "W-MAIN is not an electricity utility meter" in problem(r.text, "parent_meter_id")
    r = post(
        client,
        f"/c/{c.id}/register/transformers/new",
        {"name": "T9", "rated_kva": "-1", "no_load_loss_w": "800", "copper_loss_w": "4300", "parent_meter_id": "1"},
    )
    assert r.status_code == 422 and "Must be more than 0." in problem(r.text, "rated_kva")


def test_electricity_meter_hangs_on_a_transformer(client, session, c):
    feeder = make_meter(session, compound=c, utility=Utility.electricity, role=MeterRole.utility, serial="E-1")
    t = make_transformer(session, compound=c, feeder=feeder, name="T-North")
    page = client.get(f"/c/{c.id}/register/meters/new?utility=electricity").text
    assert "T-North" in page and 'name="hv_side"' in page
    r = post(
        client,
        f"/c/{c.id}/register/meters/new?utility=electricity",
        meter_form(serial="E-LV", role="check", transformer_id=str(t.id)),
    )
    assert r.status_code == 303
    m = session.exec(select(Meter).where(Meter.compound_id == c.id, Meter.serial == "E-LV")).one()
    assert (m.utility, m.transformer_id, m.hv_side) == (Utility.electricity, t.id, False)


# Unmetered uses


def unmetered_form(**over: str) -> dict:
    base = {
        "name": "Courtyard lamps",
        "category": "courtyard_lamps",
        "rule": "lamps",
        "fixed_per_month": "",
        "lamp_count": "20",
        "lamp_watts": "60",
        "hours_per_day": "10",
        "area_m2": "",
        "litres_per_m2_day": "",
        "parent_meter_id": "",
        "zone_id": "",
        "active_from_date": "",
        "active_to_date": "",
    }
    return base | over


def test_unmetered_use_is_added_with_its_rule_and_later_changed_to_a_fixed_quantity(client, session, c):
    feeder = make_meter(session, compound=c, utility=Utility.electricity, role=MeterRole.utility)
    r = post(
        client, f"/c/{c.id}/register/unmetered/new?utility=electricity", unmetered_form(parent_meter_id=str(feeder.id))
    )
    assert r.status_code == 303 and r.headers["location"] == f"/c/{c.id}/register/unmetered"
    use = session.exec(select(UnmeteredUse).where(UnmeteredUse.compound_id == c.id)).one()
    assert (use.utility, use.lamp_count, use.lamp_watts, use.parent_meter_id) == (
        Utility.electricity,
        20,
        Decimal("60"),
        feeder.id,
    )
    listing = client.get(r.headers["location"]).text
    assert "Courtyard lamps" in listing and "estimated" in listing
    r = post(
        client,
        f"/c/{c.id}/register/unmetered/{use.id}/edit",
        unmetered_form(rule="fixed", fixed_per_month="120.5", parent_meter_id=str(feeder.id)),
    )
    assert r.status_code == 303
    session.refresh(use)
    assert (use.rule, use.fixed_per_month, use.lamp_count) == ("fixed", Decimal("120.5"), None)


def test_unmetered_use_missing_a_figure_of_its_rule_is_refused_beside_it(client, session, c):
    r = post(client, f"/c/{c.id}/register/unmetered/new?utility=electricity", unmetered_form(lamp_watts=""))
    assert r.status_code == 422
    assert "needs watts per lamp" in problem(r.text, "lamp_watts")
    assert 'value="20"' in r.text


def test_unmetered_use_under_a_meter_of_the_other_utility_is_refused(client, session, c):
    power = make_meter(session, compound=c, utility=Utility.electricity, role=MeterRole.utility, serial="E-2")
    r = post(
        client,
        f"/c/{c.id}/register/unmetered/new?utility=water",
        unmetered_form(
            name="Lawn",
            category="landscaping",
            rule="area",
            area_m2="6000",
            litres_per_m2_day="3",
            parent_meter_id=str(power.id),
        ),
    )
    assert r.status_code == 422
    assert "cannot be upstream of water" in problem(r.text, "parent_meter_id")


def test_unmetered_edit_form_shows_the_current_figures(client, session, c):
    use = make_unmetered(
        session,
        compound=c,
        name="Street lights",
        category="street_lights",
        lamp_count=12,
        lamp_watts=Decimal("150"),
        hours_per_day=Decimal("11"),
    )
    page = client.get(f"/c/{c.id}/register/unmetered/{use.id}/edit").text
    assert 'value="Street lights"' in page and 'value="12"' in page
    assert '<option value="street_lights" selected>' in page
