from django.contrib import admin

from investdesk.cases.models import CaseCategory


@admin.register(CaseCategory)
class CaseCategoryAdmin(admin.ModelAdmin):
    """Categories and their reply templates are a table administrators edit (/django-admin/)."""

    list_display = ["name", "code", "sort_order", "is_active"]
    list_editable = ["sort_order", "is_active"]
