from django.contrib import admin

from investdesk.enterprises.models import Industry


@admin.register(Industry)
class IndustryAdmin(admin.ModelAdmin):
    """The industrial chains are a table administrators edit (Django admin, /django-admin/)."""

    list_display = ["name", "code", "sort_order", "is_active"]
    list_editable = ["sort_order", "is_active"]
    search_fields = ["name", "code"]
