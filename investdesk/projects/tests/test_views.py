import io

import openpyxl


def test_another_units_project_is_404_on_every_page(client_for, project, outsider, dispatcher):
    for user in (outsider, dispatcher):
        client = client_for(user)
        for path in [f"/projects/{project.pk}/", f"/projects/{project.pk}/edit/", f"/projects/{project.pk}/move/"]:
            assert client.get(path).status_code == 404, (user, path)
        assert project.name not in client.get("/projects/").content.decode()


def test_the_export_holds_only_visible_projects(client_for, project, owner, outsider):
    sheet = openpyxl.load_workbook(io.BytesIO(client_for(owner).get("/projects/export.xlsx").content)).active
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == [project.name]
    sheet = openpyxl.load_workbook(io.BytesIO(client_for(outsider).get("/projects/export.xlsx").content)).active
    assert list(sheet.iter_rows(min_row=2, values_only=True)) == []


def test_the_move_dialog_lists_what_the_stage_needs(client_for, project, owner):
    client = client_for(owner)
    body = client.get(f"/projects/{project.pk}/move/?to=signed", HTTP_HX_REQUEST="true").content.decode()
    assert 'name="signed_on"' in body and 'name="contract_amount_cny"' in body and 'name="owner"' in body
    response = client.post(f"/projects/{project.pk}/move/", {"stage": "signed", "version": project.version})
    assert response.status_code == 400
    response = client.post(
        f"/projects/{project.pk}/move/",
        {
            "stage": "signed",
            "version": project.version,
            "owner": owner.pk,
            "signed_on": "2022-09-10",
            "contract_amount_cny": "4800000000",
        },
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.stage == "signed"


def test_money_is_shown_in_yi_yuan(client_for, project, owner):
    assert "50亿元" in client_for(owner).get(f"/projects/{project.pk}/").content.decode()
