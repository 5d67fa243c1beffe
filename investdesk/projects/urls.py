from django.urls import path

from investdesk.projects import views

app_name = "projects"

urlpatterns = [
    path("", views.board, name="board"),
    path("board/<str:stage>/", views.board_column, name="board_column"),
    path("list/", views.project_list, name="list"),
    path("export.xlsx", views.export, name="export"),
    path("new/", views.project_form, name="create"),
    path("closing/", views.closing, name="closing"),
    path("targets/", views.targets, name="targets"),
    path("targets/set/", views.target_set, name="target_set"),
    path("plans/", views.plan_list, name="plans"),
    path("plans/new/", views.plan_create, name="plan_create"),
    path("plans/<int:plan_id>/", views.plan_detail, name="plan"),
    path("plan-targets/<int:target_id>/", views.plan_target_update, name="plan_target"),
    path("events/", views.event_list, name="events"),
    path("events/new/", views.event_create, name="event_create"),
    path("events/<int:event_id>/", views.event_detail, name="event"),
    path("<int:project_id>/", views.project_detail, name="detail"),
    path("<int:project_id>/edit/", views.project_form, name="edit"),
    path("<int:project_id>/move/", views.move, name="move"),
    path("<int:project_id>/status/", views.set_status, name="status"),
    path("<int:project_id>/follow-ups/", views.add_follow_up, name="follow_up"),
    path("<int:project_id>/funds/", views.add_funds, name="funds"),
]
